//! `chinaums query` and `chinaums sandbox`, running the real binary against the sandbox.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use chinaums_sandbox::{
    DEMO_CLOSED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_REFUNDED_ORDER, DEMO_TID,
    DEMO_UNPAID_ORDER, Fault, Sandbox, endpoints,
};
use common::{chinaums, no_panic};
use predicates::prelude::*;
use serde_json::Value;

/// A line of the summary: `name:` then spaces then exactly `value`.
fn line(name: &str, value: &str) -> predicates::str::RegexPredicate {
    predicate::str::is_match(format!(
        r"(?m)^{}:\s+{}$",
        regex_escape(name),
        regex_escape(value)
    ))
    .unwrap()
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = r"\.+*?()|[]{}^$#&-~".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// A command aimed at `sandbox` through flags, with `app_key` as the key.
fn against(sandbox: &Sandbox, app_key: &str) -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args([
        "query",
        "--env",
        &sandbox.base_url(),
        "--app-id",
        sandbox.app_id(),
    ])
    .args(["--app-key", app_key, "--mid", DEMO_MID, "--tid", DEMO_TID])
    .args(["--inst-mid", DEMO_INST_MID]);
    cmd
}

#[test]
fn sandbox_paid_order() {
    chinaums()
        .args(["--sandbox", "query", DEMO_PAID_ORDER])
        .assert()
        .success()
        .stdout(line("status", "paid (TRADE_SUCCESS)"))
        .stdout(line("totalAmount", "1.00 yuan (100 fen)"))
        .stdout(line("payTime", "2024-01-01 12:00:05"))
        .stdout(line("merOrderId", DEMO_PAID_ORDER))
        .stdout(line("targetSys", "WXPay"))
        .stdout(line("mid", DEMO_MID))
        .stdout(predicate::str::is_match(r"(?m)^seqId:\s+\S+$").unwrap())
        .stderr("");
}

#[test]
fn sandbox_unpaid_order() {
    chinaums()
        .args(["--sandbox", "query", DEMO_UNPAID_ORDER])
        .assert()
        .success()
        .stdout(line("status", "not paid (WAIT_BUYER_PAY)"))
        .stdout(line("totalAmount", "25.00 yuan (2500 fen)"))
        .stdout(line("merOrderId", DEMO_UNPAID_ORDER))
        .stdout(predicate::str::contains("payTime").not());
}

#[test]
fn sandbox_refunded_order() {
    chinaums()
        .args(["--sandbox", "query", DEMO_REFUNDED_ORDER])
        .assert()
        .success()
        .stdout(line("status", "paid, then refunded (TRADE_REFUND)"))
        .stdout(line("totalAmount", "8.80 yuan (880 fen)"))
        .stdout(line("refundAmount", "8.80 yuan (880 fen)"))
        .stdout(line("targetSys", "Alipay 2.0"));
}

/// The summary is the typed answer, whole: the status first, then one line for each field the
/// `--json` answer carries (absent and empty ones left out), each amount in yuan and fen.
#[test]
fn the_summary_shows_each_field_the_answer_carries() {
    for order in [
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
        DEMO_REFUNDED_ORDER,
        DEMO_CLOSED_ORDER,
    ] {
        let run = |json: bool| {
            let mut cmd = chinaums();
            cmd.args(["query", "--sandbox", order]);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let json: Value = serde_json::from_str(&run(true)).unwrap();
        let summary = run(false);
        let lines: Vec<(&str, &str)> = summary
            .lines()
            .map(|l| {
                let (name, value) = l.split_once(':').unwrap();
                (name, value.trim_start())
            })
            .collect();
        assert_eq!(lines[0].0, "status", "{summary}");
        let carried: Vec<(&String, &Value)> = json
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
            .collect();
        assert_eq!(lines.len(), carried.len(), "{summary}\n{json}");
        for (name, value) in carried {
            let (_, shown) = lines
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{name} not shown:\n{summary}"));
            match value {
                // The answer's numbers are its amounts.
                Value::Number(fen) => {
                    assert!(
                        shown.ends_with(&format!(" yuan ({fen} fen)")),
                        "{name}: {shown}"
                    )
                }
                // The moment of answering: the two runs are two processes, whose answers can
                // fall on either side of a second's boundary. Its shape is checked instead.
                Value::String(text) if name == "responseTimestamp" => {
                    assert_eq!(shown.len(), text.len(), "{name}: {shown}");
                    assert!(
                        shown.bytes().zip(text.bytes()).all(|(s, t)| {
                            s.is_ascii_digit() == t.is_ascii_digit()
                                && (s.is_ascii_digit() || s == t)
                        }),
                        "{name}: {shown} vs {text}"
                    );
                }
                Value::String(text) if name != "status" => assert_eq!(shown, text),
                _ => {}
            }
        }
    }
}

#[test]
fn sandbox_unknown_order_is_a_platform_error() {
    chinaums()
        .args(["--sandbox", "query", "3194NOSUCHORDER1"])
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("NO_ORDER"))
        .stderr(predicate::str::contains("--inst-mid"))
        .stderr(no_panic());
}

#[test]
fn json_output_parses_back() {
    for (order, status, total) in [
        (DEMO_PAID_ORDER, "TRADE_SUCCESS", 100),
        (DEMO_UNPAID_ORDER, "WAIT_BUYER_PAY", 2500),
    ] {
        let out = chinaums()
            .args(["--sandbox", "query", "--json", order])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], status, "{json}");
        assert_eq!(json["totalAmount"], total, "{json}");
        assert_eq!(json["merOrderId"], order, "{json}");
        assert_eq!(json["errCode"], "SUCCESS", "{json}");
        // Extra fields the SDK does not name are kept.
        assert!(json.get("connectSys").is_some(), "{json}");
    }
}

#[test]
fn sandbox_with_access_token_auth() {
    chinaums()
        .args(["--sandbox", "--auth", "token", "query", DEMO_PAID_ORDER])
        .assert()
        .success()
        .stdout(line("status", "paid (TRADE_SUCCESS)"));
    // The global options also go after the subcommand.
    chinaums()
        .args([
            "query",
            DEMO_PAID_ORDER,
            "--sandbox",
            "--auth",
            "token",
            "--json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(r#""status": "TRADE_SUCCESS""#));
}

#[test]
fn auth_token_really_fetches_a_token_and_body_sig_does_not() {
    let sandbox = Sandbox::start_demo().unwrap();
    let key = sandbox.app_key().to_owned();
    against(&sandbox, &key)
        .arg(DEMO_PAID_ORDER)
        .assert()
        .success();
    assert_eq!(sandbox.token_fetch_count(), 0);
    against(&sandbox, &key)
        .args(["--auth", "token", DEMO_PAID_ORDER])
        .assert()
        .success()
        .stdout(line("status", "paid (TRADE_SUCCESS)"));
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.request_count(), 2);
}

#[test]
fn settings_from_environment_variables() {
    let sandbox = Sandbox::start_demo().unwrap();
    chinaums()
        .args(["query", DEMO_UNPAID_ORDER])
        .env("CHINAUMS_ENV", sandbox.base_url())
        .env("CHINAUMS_APP_ID", sandbox.app_id())
        .env("CHINAUMS_APP_KEY", sandbox.app_key())
        .env("CHINAUMS_MID", DEMO_MID)
        .env("CHINAUMS_TID", DEMO_TID)
        .env("CHINAUMS_INST_MID", DEMO_INST_MID)
        .assert()
        .success()
        .stdout(line("status", "not paid (WAIT_BUYER_PAY)"));
}

#[test]
fn missing_credentials_name_flags_and_variables() {
    chinaums()
        .args(["query", DEMO_PAID_ORDER])
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("--app-id    or CHINAUMS_APP_ID"))
        .stderr(predicate::str::contains("--app-key   or CHINAUMS_APP_KEY"))
        .stderr(predicate::str::contains("--env       or CHINAUMS_ENV"))
        .stderr(predicate::str::contains("--mid       or CHINAUMS_MID"))
        .stderr(predicate::str::contains("--sandbox"))
        .stderr(no_panic());
    // Only what is missing is named.
    chinaums()
        .args([
            "query", "--env", "test", "--mid", DEMO_MID, "--tid", DEMO_TID,
        ])
        .args([
            "--inst-mid",
            DEMO_INST_MID,
            "--app-id",
            "x",
            DEMO_PAID_ORDER,
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("CHINAUMS_APP_KEY"))
        .stderr(predicate::str::contains("CHINAUMS_APP_ID").not())
        .stderr(predicate::str::contains("CHINAUMS_MID").not());
}

#[test]
fn a_bad_field_is_a_usage_error_naming_the_field() {
    chinaums()
        .args(["--sandbox", "query", "--mid", "12345", DEMO_PAID_ORDER])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("invalid field `mid`"))
        .stderr(predicate::str::contains("15"))
        .stderr(predicate::str::contains("--mid"))
        .stderr(no_panic());
    chinaums()
        .args(["--sandbox", "query", "abc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid field `merOrderId`"));
}

/// An appId the SDK's rule refuses (it could not go into the Authorization header) is a
/// configuration error, found before anything is sent, with the flag to fix.
#[test]
fn a_malformed_app_id_is_refused_before_sending() {
    let sandbox = Sandbox::start_demo().unwrap();
    let key = sandbox.app_key().to_owned();
    chinaums()
        .args(["query", "--env", &sandbox.base_url(), "--app-id", "my app"])
        .args(["--app-key", &key, "--mid", DEMO_MID, "--tid", DEMO_TID])
        .args(["--inst-mid", DEMO_INST_MID, DEMO_PAID_ORDER])
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("invalid field `appId`"))
        .stderr(predicate::str::contains("--app-id (or CHINAUMS_APP_ID)"))
        .stderr(predicate::str::contains(key.as_str()).not())
        .stderr(no_panic());
    assert_eq!(sandbox.request_count() + sandbox.token_fetch_count(), 0);
}

#[test]
fn bad_flag_values_are_usage_errors() {
    chinaums()
        .args(["--sandbox", "query", "--timeout", "soon", DEMO_PAID_ORDER])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout"));
    chinaums()
        .args(["query", "--env", "staging", DEMO_PAID_ORDER])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`production`, `test` or a base URL",
        ));
    chinaums().args(["query"]).assert().code(2);
    chinaums()
        .args(["--sandbox", "frobnicate"])
        .assert()
        .code(2);
}

/// A timeout the SDK would refuse (zero, or above its one-hour maximum) is refused while the
/// command line is read; `18446744073709551615s` once crashed the HTTP client.
#[test]
fn a_timeout_the_sdk_refuses_is_a_usage_error() {
    for too_long in ["18446744073709551615s", "2h", "1h 1ns"] {
        chinaums()
            .args(["--sandbox", "query", "--timeout", too_long, DEMO_PAID_ORDER])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("--timeout"))
            .stderr(predicate::str::contains("at most 1h"))
            .stderr(no_panic());
    }
    chinaums()
        .args(["--sandbox", "query", "--timeout", "0s", DEMO_PAID_ORDER])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("longer than zero"));
    // The maximum itself is accepted.
    chinaums()
        .args(["--sandbox", "query", "--timeout", "1h", DEMO_PAID_ORDER])
        .assert()
        .success()
        .stdout(line("status", "paid (TRADE_SUCCESS)"));
}

#[test]
fn an_unreachable_host_is_a_transport_error() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    chinaums()
        .args(["query", "--env", &format!("http://127.0.0.1:{port}")])
        .args([
            "--app-id",
            "app",
            "--app-key",
            "a-key-never-shown",
            "--mid",
            DEMO_MID,
        ])
        .args([
            "--tid",
            DEMO_TID,
            "--inst-mid",
            DEMO_INST_MID,
            DEMO_PAID_ORDER,
        ])
        .assert()
        .code(5)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "cannot reach http://127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("not sent"))
        .stderr(predicate::str::contains("a-key-never-shown").not())
        .stderr(no_panic());
}

#[test]
fn a_wrong_app_key_is_an_auth_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    against(&sandbox, "wrong-key-never-shown")
        .arg(DEMO_PAID_ORDER)
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("BAD_SIGN"))
        .stderr(predicate::str::contains("--app-key"))
        .stderr(predicate::str::contains("wrong-key-never-shown").not())
        .stderr(no_panic());
    // With OPEN-ACCESS-TOKEN the token request is refused instead.
    against(&sandbox, "wrong-key-never-shown")
        .args(["--auth", "token", DEMO_PAID_ORDER])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("access token"))
        .stderr(predicate::str::contains("wrong-key-never-shown").not());
    assert_eq!(sandbox.token_fetch_count(), 0);
}

#[test]
fn a_base_url_that_is_not_a_gateway_is_a_config_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    chinaums()
        .args([
            "query",
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
        .arg(DEMO_PAID_ORDER)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("HTTP 404"))
        .stderr(predicate::str::contains("check --env"));
}

#[test]
fn the_app_key_is_never_printed_on_success() {
    let sandbox = Sandbox::start_demo().unwrap();
    let key = sandbox.app_key().to_owned();
    for extra in [&[][..], &["--json"][..]] {
        against(&sandbox, &key)
            .args(extra)
            .arg(DEMO_PAID_ORDER)
            .assert()
            .success()
            .stdout(predicate::str::contains(key.as_str()).not())
            .stdout(predicate::str::contains("OPEN-BODY-SIG").not())
            .stderr("");
    }
}

#[test]
fn lost_answers_are_outcome_unknown() {
    let sandbox = Sandbox::start_demo().unwrap();
    let key = sandbox.app_key().to_owned();
    for fault in [
        Fault::DropConnection,
        Fault::InternalServerError,
        Fault::Garbage,
    ] {
        sandbox.inject_fault(fault.clone());
        against(&sandbox, &key)
            .args(["--timeout", "5s", DEMO_PAID_ORDER])
            .assert()
            .code(6)
            .stdout("")
            .stderr(predicate::str::contains("query").and(predicate::str::contains("again")))
            .stderr(no_panic());
    }
    // A timeout after the request was sent.
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(3)));
    against(&sandbox, &key)
        .args(["--timeout", "300ms", DEMO_PAID_ORDER])
        .assert()
        .code(6)
        .stderr(predicate::str::contains("may have been sent"));
}

#[test]
fn help_documents_exit_codes_and_examples() {
    for args in [&["--help"][..], &["query", "--help"][..]] {
        chinaums()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit codes:"))
            .stdout(predicate::str::contains("6  outcome unknown"))
            .stdout(predicate::str::contains(
                "chinaums query --sandbox 3194DEMOPAID0001",
            ));
    }
    chinaums()
        .args(["sandbox", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("chinaums sandbox --port"));
}

#[test]
fn help_never_shows_the_app_key_from_the_environment() {
    for command in ["query", "sign"] {
        chinaums()
            .args([command, "--help"])
            .env("CHINAUMS_APP_KEY", "key-from-env-never-shown")
            .env("CHINAUMS_APP_ID", "visible-app-id")
            .assert()
            .success()
            .stdout(predicate::str::contains("CHINAUMS_APP_KEY"))
            .stdout(predicate::str::contains("visible-app-id"))
            .stdout(predicate::str::contains("key-from-env-never-shown").not());
    }
}

/// A port already taken: the error names the address and port, not just the OS's words.
#[test]
fn sandbox_command_on_a_taken_port_names_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    chinaums()
        .args(["sandbox", "--port", &port.to_string()])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!("127.0.0.1:{port}")))
        .stderr(predicate::str::contains("--port"))
        .stderr(no_panic());
    drop(taken);
}

/// Sends SIGINT to `child` (a process this test started) and waits up to 5 s for it to end.
#[cfg(unix)]
fn interrupt(child: &mut std::process::Child) -> std::process::ExitStatus {
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the sandbox did not stop on SIGINT");
}

/// The endpoints the banner lists are the sandbox's route table, each on its line with what it
/// does; each one listed is served (answers other than 404), and a path not listed is not.
#[cfg(unix)]
#[test]
fn sandbox_command_lists_every_endpoint_it_serves() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chinaums"))
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("Ctrl-C to stop");
        banner.push(line);
        if done {
            break;
        }
    }
    let address = banner[0]
        .strip_prefix("chinaums sandbox listening on http://")
        .unwrap_or_else(|| panic!("{banner:?}"))
        .to_owned();
    let start = banner.iter().position(|l| l == "endpoints:").unwrap();
    let listed: Vec<(String, String)> = banner[start + 1..banner.len() - 1]
        .iter()
        .map(|l| {
            let mut words = l.split_whitespace();
            let method = words.next().unwrap().to_owned();
            let path = words.next().unwrap().to_owned();
            (method, path)
        })
        .collect();
    let table: Vec<(String, String)> = endpoints()
        .iter()
        .map(|e| (e.method.to_owned(), e.path.to_owned()))
        .collect();
    assert_eq!(listed, table, "{banner:#?}");
    for endpoint in endpoints() {
        assert!(
            banner.iter().any(|l| l.ends_with(endpoint.what)),
            "{endpoint}: {banner:#?}"
        );
    }
    // Served: anything but the router's own "no such service" (a `{param}` segment is filled
    // with a demo order's number; an answer about that order, a 404 included, is served).
    let unknown = http_answer(&address, "POST", "/v1/netpay/not-an-endpoint");
    assert!(
        unknown.starts_with("HTTP/1.1 404") && unknown.contains("no such service"),
        "{unknown}"
    );
    for (method, path) in &listed {
        let concrete: Vec<String> = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') && segment.ends_with('}') {
                    DEMO_PAID_ORDER.to_owned()
                } else {
                    segment.to_owned()
                }
            })
            .collect();
        let answer = http_answer(&address, method, &concrete.join("/"));
        assert!(
            answer.starts_with("HTTP/1.1 ") && !answer.contains("no such service"),
            "{method} {path} is listed but not served: {answer}"
        );
    }
    assert_eq!(interrupt(&mut child).code(), Some(0));
}

/// What the server at `address` answers to `method path` with an empty JSON body.
#[cfg(unix)]
fn http_answer(address: &str, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A Ctrl-C right after the first line of output stops the sandbox cleanly (the handler is in
/// place before anything is printed).
#[cfg(unix)]
#[test]
fn sandbox_command_handles_an_immediate_ctrl_c() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chinaums"))
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("chinaums sandbox listening on http://127.0.0.1:"),
        "{first}"
    );
    assert_eq!(interrupt(&mut child).code(), Some(0));
}

/// `chinaums sandbox` in the foreground: prints its URL and credentials, serves the demo
/// orders to another `chinaums` process, and stops cleanly on SIGINT (Ctrl-C).
#[cfg(unix)]
#[test]
fn sandbox_command_serves_until_ctrl_c() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chinaums"))
        .args([
            "sandbox",
            "--app-id",
            "cli-test-app",
            "--app-key",
            "cli-test-key",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("Ctrl-C to stop");
        banner.push(line);
        if done {
            break;
        }
    }
    let banner = banner.join("\n");
    let url = banner
        .lines()
        .find_map(|l| l.strip_prefix("chinaums sandbox listening on "))
        .unwrap_or_else(|| panic!("no URL in {banner}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    for expected in [
        "appId:  cli-test-app",
        "appKey: cli-test-key",
        DEMO_PAID_ORDER,
        DEMO_REFUNDED_ORDER,
    ] {
        assert!(banner.contains(expected), "{expected} not in {banner}");
    }

    let query = chinaums()
        .args(["query", "--env", &url, "--app-id", "cli-test-app"])
        .args([
            "--mid",
            DEMO_MID,
            "--tid",
            DEMO_TID,
            "--inst-mid",
            DEMO_INST_MID,
        ])
        .arg(DEMO_PAID_ORDER)
        .env("CHINAUMS_APP_KEY", "cli-test-key")
        .assert();

    // Ctrl-C, to this child only.
    let status = interrupt(&mut child);
    query
        .success()
        .stdout(line("status", "paid (TRADE_SUCCESS)"));
    assert_eq!(status.code(), Some(0));
}
