//! Each command's `--help` lists the options that command accepts, and only those.

mod common;

use chinaums_sandbox::DEMO_PAID_ORDER;
use common::{chinaums, no_panic};
use predicates::prelude::*;

/// An option line of clap's help: the flag first on its line, after the indentation.
fn option(flag: &str) -> predicates::str::RegexPredicate {
    predicate::str::is_match(format!(r"(?m)^\s+(-\w, )?{flag}\b")).unwrap()
}

fn help(args: &[&str]) -> String {
    let out = chinaums().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn root_help_lists_commands_but_no_command_options() {
    for flag in ["--help", "-h"] {
        let text = help(&[flag]);
        for command in ["query", "sign", "sandbox"] {
            assert!(
                predicate::str::is_match(format!(r"(?m)^\s+{command}\s"))
                    .unwrap()
                    .eval(&text),
                "{command} not listed:\n{text}"
            );
        }
        for flag in ["--sandbox", "--auth"] {
            assert!(!option(flag).eval(&text), "{flag} listed:\n{text}");
        }
    }
}

#[test]
fn query_help_lists_sandbox_auth_and_its_own_options() {
    for flag in ["--help", "-h"] {
        let text = help(&["query", flag]);
        for option_flag in [
            "--sandbox",
            "--auth",
            "--json",
            "--env",
            "--timeout",
            "--app-id",
            "--app-key",
            "--mid",
            "--tid",
            "--inst-mid",
            "--msg-id",
        ] {
            assert!(
                option(option_flag).eval(&text),
                "{option_flag} missing:\n{text}"
            );
        }
        for other in ["--body-file", "--nonce", "--port", "--log"] {
            assert!(!option(other).eval(&text), "{other} listed:\n{text}");
        }
    }
}

#[test]
fn sign_help_lists_only_sign_options() {
    for flag in ["--help", "-h"] {
        let text = help(&["sign", flag]);
        for option_flag in [
            "--app-id",
            "--app-key",
            "--timestamp",
            "--nonce",
            "--body-file",
            "--verbose",
        ] {
            assert!(
                option(option_flag).eval(&text),
                "{option_flag} missing:\n{text}"
            );
        }
        for refused in ["--sandbox", "--auth"] {
            assert!(!text.contains(refused), "{refused} shown:\n{text}");
        }
        for other in ["--json", "--env", "--timeout", "--port"] {
            assert!(!option(other).eval(&text), "{other} listed:\n{text}");
        }
    }
}

#[test]
fn sandbox_help_lists_only_sandbox_options() {
    for flag in ["--help", "-h"] {
        let text = help(&["sandbox", flag]);
        for option_flag in ["--port", "--app-id", "--app-key", "--log"] {
            assert!(
                option(option_flag).eval(&text),
                "{option_flag} missing:\n{text}"
            );
        }
        for refused in ["--sandbox", "--auth"] {
            assert!(!text.contains(refused), "{refused} shown:\n{text}");
        }
        // Its examples show a `query --env` line: only option lines are checked.
        for other in ["--json", "--env", "--timeout", "--nonce"] {
            assert!(!option(other).eval(&text), "{other} listed:\n{text}");
        }
    }
}

/// `--sandbox` and `--auth` belong to `query`; before the subcommand they are still accepted
/// (the form the repository's README shows), in either order.
#[test]
fn sandbox_and_auth_work_before_and_after_query() {
    for args in [
        &["--sandbox", "query", DEMO_PAID_ORDER][..],
        &["query", "--sandbox", DEMO_PAID_ORDER][..],
        &["query", DEMO_PAID_ORDER, "--sandbox", "--auth", "token"][..],
        &["--sandbox", "--auth", "token", "query", DEMO_PAID_ORDER][..],
        &["--auth", "token", "query", "--sandbox", DEMO_PAID_ORDER][..],
    ] {
        chinaums()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("paid (TRADE_SUCCESS)"));
    }
}

/// `sign` and `sandbox` refuse `--sandbox` and `--auth`, before or after the subcommand.
#[test]
fn sign_and_sandbox_refuse_query_options() {
    for command in ["sign", "sandbox"] {
        for (before, after) in [
            (&["--sandbox"][..], &[][..]),
            (&["--auth", "token"][..], &[][..]),
            (&[][..], &["--sandbox"][..]),
            (&[][..], &["--auth", "token"][..]),
        ] {
            chinaums()
                .args(before)
                .arg(command)
                .args(after)
                .write_stdin("{}")
                .assert()
                .code(2)
                .stdout("")
                .stderr(predicate::str::contains(
                    *before.first().or(after.first()).unwrap(),
                ))
                .stderr(no_panic());
        }
    }
}
