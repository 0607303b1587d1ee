//! Shared helpers: the real `chinaums` binary with a clean environment.
#![allow(dead_code)]

use std::time::Duration;

use assert_cmd::Command;

/// Every variable the CLI reads.
pub const VARS: [&str; 6] = [
    "CHINAUMS_APP_ID",
    "CHINAUMS_APP_KEY",
    "CHINAUMS_ENV",
    "CHINAUMS_MID",
    "CHINAUMS_TID",
    "CHINAUMS_INST_MID",
];

/// The binary, with no CHINAUMS_* variables and backtraces on (so a panic would be visible).
pub fn chinaums() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chinaums"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "1");
    cmd.timeout(Duration::from_secs(30));
    cmd
}

/// stderr must show neither a panic nor a backtrace.
pub fn no_panic() -> impl predicates::Predicate<str> {
    use predicates::prelude::*;
    predicate::str::contains("panicked")
        .or(predicate::str::contains("stack backtrace"))
        .not()
}
