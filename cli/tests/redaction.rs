//! A password in a URL (`http://user:PASSWORD@host`) is never printed: not in errors, hints,
//! `--help`, or clap's own messages.

mod common;

use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID};
use common::{chinaums, no_panic};
use predicates::prelude::*;

const PASSWORD: &str = "pw-in-url-never-shown";

fn url_with_password() -> String {
    format!("http://user:{PASSWORD}@127.0.0.1:9")
}

/// A query with every other setting present, so `--env` is what is wrong.
fn query() -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(["query", "--app-id", "app", "--app-key", "key"])
        .args([
            "--mid",
            DEMO_MID,
            "--tid",
            DEMO_TID,
            "--inst-mid",
            DEMO_INST_MID,
        ]);
    cmd
}

fn hidden() -> impl Predicate<str> {
    predicate::str::contains(PASSWORD).not()
}

#[test]
fn a_password_in_the_env_flag_is_refused_without_being_printed() {
    query()
        .args(["--env", &url_with_password(), DEMO_PAID_ORDER])
        .assert()
        .code(2)
        .stdout("")
        .stderr(hidden())
        .stderr(predicate::str::contains("--env"))
        .stderr(predicate::str::contains("http://***@127.0.0.1:9"))
        .stderr(predicate::str::contains("user or password"))
        .stderr(no_panic());
}

#[test]
fn a_password_in_chinaums_env_is_refused_without_being_printed() {
    query()
        .arg(DEMO_PAID_ORDER)
        .env("CHINAUMS_ENV", url_with_password())
        .assert()
        .code(2)
        .stdout("")
        .stderr(hidden())
        .stderr(predicate::str::contains("CHINAUMS_ENV"))
        .stderr(predicate::str::contains("http://***@127.0.0.1:9"))
        .stderr(no_panic());
}

#[test]
fn help_shows_chinaums_env_without_its_password() {
    for args in [
        &["query", "--help"][..],
        &["query", "-h"][..],
        &["--help"][..],
    ] {
        chinaums()
            .args(args)
            .env("CHINAUMS_ENV", url_with_password())
            .assert()
            .success()
            .stdout(hidden())
            .stderr(hidden());
    }
    chinaums()
        .args(["query", "--help"])
        .env("CHINAUMS_ENV", url_with_password())
        .assert()
        .stdout(predicate::str::contains(
            "CHINAUMS_ENV=http://***@127.0.0.1:9",
        ));
}

/// clap repeats a stray argument in its message; a URL there is redacted too.
#[test]
fn clap_messages_do_not_repeat_a_password() {
    query()
        .args(["--env", "test", DEMO_PAID_ORDER, &url_with_password()])
        .assert()
        .code(2)
        .stdout("")
        .stderr(hidden())
        .stderr(predicate::str::contains("http://***@127.0.0.1:9"));
    chinaums()
        .args(["--sandbox", &url_with_password()])
        .assert()
        .code(2)
        .stderr(hidden());
}
