//! `query --json`: every failure is one JSON object on stdout, with the same exit code as
//! without `--json`.

mod common;

use std::time::Duration;

use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Sandbox};
use common::chinaums;
use serde_json::Value;

/// Runs `cmd` (which includes `--json`) and returns its exit code and the JSON error object
/// that is all of its stdout; checks the fields every error has.
fn json_error(cmd: &mut assert_cmd::Command) -> (i32, Value) {
    let out = cmd.output().unwrap();
    let code = out.status.code().expect("exited");
    assert_ne!(code, 0, "{out:?}");
    // One JSON value and nothing else (serde_json refuses trailing characters).
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {out:?}"));
    assert!(json.is_object(), "{json}");
    assert_eq!(json["exitCode"], code, "{json}");
    assert!(json["class"].is_string(), "{json}");
    assert!(
        json["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    for key in ["errCode", "httpStatus", "delivery", "hint"] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    // The human-readable error still goes to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (code, json)
}

/// The query, aimed at `sandbox` through flags, with `--json`.
fn against(sandbox: &Sandbox, app_key: &str) -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(["query", "--json", "--env", &sandbox.base_url()])
        .args(["--app-id", sandbox.app_id(), "--app-key", app_key])
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

#[test]
fn exit_2_usage_errors_as_json() {
    // A field that breaks a rule, found before anything is sent.
    let (code, json) = json_error(chinaums().args([
        "query",
        "--sandbox",
        "--json",
        "--mid",
        "12345",
        DEMO_PAID_ORDER,
    ]));
    assert_eq!(code, 2);
    assert_eq!(json["class"], "usage");
    assert_eq!(json["errCode"], Value::Null);
    assert_eq!(json["httpStatus"], Value::Null);
    assert_eq!(json["delivery"], Value::Null);
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("invalid field `mid`"),
        "{json}"
    );
    assert!(json["hint"].as_str().unwrap().contains("--mid"), "{json}");

    // A bad --env, with a password that must not show.
    let (code, json) = json_error(
        chinaums()
            .args(["query", "--json", "--env", "http://u:pw-never-shown@h", "X"])
            .args(["--app-id", "a", "--app-key", "k", "--mid", DEMO_MID]),
    );
    assert_eq!((code, json["class"].as_str()), (2, Some("usage")));
    assert!(!json.to_string().contains("pw-never-shown"), "{json}");

    // Errors clap finds: a timeout above the maximum, a missing argument, an unknown flag.
    for args in [
        &[
            "query",
            "--sandbox",
            "--json",
            "--timeout",
            "2h",
            DEMO_PAID_ORDER,
        ][..],
        &["query", "--sandbox", "--json"][..],
        &["query", "--json", "--frobnicate", DEMO_PAID_ORDER][..],
        &[
            "--sandbox",
            "query",
            DEMO_PAID_ORDER,
            "--json",
            "--timeout",
            "0s",
        ][..],
    ] {
        let (code, json) = json_error(chinaums().args(args));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
    }
    let (_, json) = json_error(chinaums().args([
        "query",
        "--sandbox",
        "--json",
        "--timeout",
        "2h",
        DEMO_PAID_ORDER,
    ]));
    assert!(
        json["message"].as_str().unwrap().contains("at most 1h"),
        "{json}"
    );
    // The whole of clap's message: what is missing, too.
    let (_, json) = json_error(chinaums().args(["query", "--sandbox", "--json"]));
    assert!(
        json["message"].as_str().unwrap().contains("<merOrderId>"),
        "{json}"
    );
}

#[test]
fn exit_3_platform_error_as_json() {
    let (code, json) =
        json_error(chinaums().args(["query", "--sandbox", "--json", "3194NOSUCHORDER1"]));
    assert_eq!(code, 3);
    assert_eq!(json["class"], "not_found");
    assert_eq!(json["errCode"], "NO_ORDER");
    assert!(json["httpStatus"].is_u64(), "{json}");
    assert_eq!(json["delivery"], Value::Null);
    assert!(
        json["hint"].as_str().unwrap().contains("--inst-mid"),
        "{json}"
    );
}

#[test]
fn exit_4_auth_and_config_errors_as_json() {
    // Missing settings: nothing was called.
    let (code, json) = json_error(chinaums().args(["query", "--json", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (4, Some("config")));
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("CHINAUMS_APP_ID"),
        "{json}"
    );
    assert_eq!(json["httpStatus"], Value::Null);

    let sandbox = Sandbox::start_demo().unwrap();
    let (code, json) = json_error(against(&sandbox, "wrong-key-never-shown").arg(DEMO_PAID_ORDER));
    assert_eq!((code, json["class"].as_str()), (4, Some("auth")));
    assert_eq!(json["errCode"], "BAD_SIGN");
    assert!(json["httpStatus"].is_u64(), "{json}");
    assert!(
        !json.to_string().contains("wrong-key-never-shown"),
        "{json}"
    );

    // With OPEN-ACCESS-TOKEN the token request is refused.
    let (code, json) = json_error(against(&sandbox, "wrong-key-never-shown").args([
        "--auth",
        "token",
        DEMO_PAID_ORDER,
    ]));
    assert_eq!((code, json["class"].as_str()), (4, Some("auth")));

    // A base URL that is not a gateway.
    let (code, json) = json_error(
        chinaums()
            .args([
                "query",
                "--json",
                "--env",
                &format!("{}/not-here", sandbox.base_url()),
            ])
            .args(["--app-id", sandbox.app_id(), "--app-key", sandbox.app_key()])
            .args([
                "--mid",
                DEMO_MID,
                "--tid",
                DEMO_TID,
                "--inst-mid",
                DEMO_INST_MID,
            ])
            .arg(DEMO_PAID_ORDER),
    );
    assert_eq!((code, json["class"].as_str()), (4, Some("config")));
    assert_eq!(json["httpStatus"], 404);
}

#[test]
fn exit_5_not_sent_as_json() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, json) = json_error(
        chinaums()
            .args([
                "query",
                "--json",
                "--env",
                &format!("http://127.0.0.1:{port}"),
            ])
            .args(["--app-id", "app", "--app-key", "key", "--mid", DEMO_MID])
            .args([
                "--tid",
                DEMO_TID,
                "--inst-mid",
                DEMO_INST_MID,
                DEMO_PAID_ORDER,
            ]),
    );
    assert_eq!(code, 5);
    assert_eq!(json["class"], "retryable");
    assert_eq!(json["delivery"], "not_sent");
    assert_eq!(json["errCode"], Value::Null);
    assert_eq!(json["httpStatus"], Value::Null);
}

#[test]
fn exit_6_outcome_unknown_as_json() {
    let sandbox = Sandbox::start_demo().unwrap();
    let key = sandbox.app_key().to_owned();
    sandbox.inject_fault(Fault::DropConnection);
    let (code, json) =
        json_error(against(&sandbox, &key).args(["--timeout", "5s", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["delivery"], "maybe_sent");
    assert_eq!(json["httpStatus"], Value::Null);

    sandbox.inject_fault(Fault::InternalServerError);
    let (code, json) =
        json_error(against(&sandbox, &key).args(["--timeout", "5s", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["httpStatus"], 500);
    assert_eq!(json["delivery"], Value::Null);

    sandbox.inject_fault(Fault::Garbage);
    let (code, json) =
        json_error(against(&sandbox, &key).args(["--timeout", "5s", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["httpStatus"], 200);

    // A timeout after the request was sent.
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(3)));
    let (code, json) =
        json_error(against(&sandbox, &key).args(["--timeout", "300ms", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["delivery"], "maybe_sent");
}
