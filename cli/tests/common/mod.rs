//! Shared helpers: the real `chinaums` binary with a clean environment.
#![allow(dead_code)]

use std::time::Duration;

use assert_cmd::Command;

/// Every variable the CLI reads.
pub const VARS: [&str; 8] = [
    "CHINAUMS_APP_ID",
    "CHINAUMS_APP_KEY",
    "CHINAUMS_ENV",
    "CHINAUMS_MID",
    "CHINAUMS_TID",
    "CHINAUMS_INST_MID",
    "CHINAUMS_MSG_SRC_ID",
    "CHINAUMS_BROWSER",
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

/// Runs `cmd` (which includes `--json`) and returns its exit code and the JSON error object
/// that is all of its stdout; checks the fields every error has, and that stderr has the text.
pub fn json_error(cmd: &mut Command) -> (i32, serde_json::Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().expect("exited");
    assert_ne!(code, 0, "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {out:?}"));
    assert_eq!(json["exitCode"], code, "{json}");
    for key in [
        "class",
        "errCode",
        "message",
        "hint",
        "httpStatus",
        "delivery",
        "followUp",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, json)
}
