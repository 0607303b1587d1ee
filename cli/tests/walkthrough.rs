//! The README's walk-through "Take a payment on the sandbox", run from the README as written:
//! its first block starts `chinaums sandbox --port 8080` (as a child process, on a free port
//! instead of 8080, which may be taken where the tests run: the only change), every other
//! block's `export` lines set the environment and its `chinaums` commands run in order, each
//! one exiting 0, and the `#   …` line under a command is its first line of output (`…` at the
//! end: a prefix). A command with `--open` gets a stand-in browser that records the URL; the
//! test then opens it as a browser would and expects the sandbox's redirect to its cashier.

#![cfg(unix)]

mod common;

use common::{ChildSandbox, browser_get, chinaums, free_port, no_panic};

const README: &str = include_str!("../README.md");
const HEADING: &str = "### Take a payment on the sandbox: a walk-through\n";

/// The walk-through's `sh` blocks, each as its logical lines (`\` continuations joined).
fn blocks() -> Vec<Vec<String>> {
    let start = README
        .find(HEADING)
        .expect("the walk-through in the README");
    let section = &README[start + HEADING.len()..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```sh\n") {
        let body = &rest[open + 6..];
        let close = body.find("```").expect("a closed block");
        let mut lines = Vec::new();
        let mut pending = String::new();
        for line in body[..close].lines() {
            match line.strip_suffix('\\') {
                Some(head) => pending.push_str(head),
                None => {
                    pending.push_str(line);
                    let joined = pending.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !joined.is_empty() || line.starts_with('#') {
                        lines.push(if line.starts_with('#') {
                            line.to_owned()
                        } else {
                            joined
                        });
                    }
                    pending.clear();
                }
            }
        }
        blocks.push(lines);
        rest = &body[close + 3..];
    }
    blocks
}

/// `text` with runs of spaces made one (the summary aligns its values).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    let blocks = blocks();
    assert!(blocks.len() >= 3, "{blocks:?}");
    assert_eq!(
        blocks[0],
        ["chinaums sandbox --port 8080"],
        "the first block"
    );
    let port = free_port().to_string();
    let local = |text: &str| text.replace("8080", &port);
    let sandbox = ChildSandbox::start(&["--port", &port]);
    assert_eq!(sandbox.url, format!("http://127.0.0.1:{port}"));

    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> = Vec::new();
    let mut commands = 0;
    // The last command's first line of output, until an expectation has checked it.
    let mut last: Option<(String, String)> = None;
    for line in blocks[1..].iter().flatten() {
        if let Some(expected) = line.strip_prefix("#   ") {
            let (command, first) = last.take().expect("an expectation under a command");
            let expected = squeeze(&local(expected));
            match expected.strip_suffix('…') {
                Some(prefix) => assert!(first.starts_with(prefix), "{command}: {first}"),
                None => assert_eq!(first, expected, "{command}"),
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some(assignments) = line.strip_prefix("export ") {
            for assignment in assignments.split_whitespace() {
                let (name, value) = assignment.split_once('=').expect("NAME=value");
                env.push((name.to_owned(), local(value)));
            }
            continue;
        }
        let args = line
            .strip_prefix("chinaums ")
            .unwrap_or_else(|| panic!("not a chinaums command: {line}"));
        assert!(
            !args.contains(['\'', '"', '$', '|', '>']),
            "plain words only: {line}"
        );
        let args: Vec<String> = args.split_whitespace().map(local).collect();
        let mut cmd = chinaums();
        cmd.args(&args).envs(env.iter().map(|(k, v)| (k, v)));
        let seen = dir.path().join(format!("opened-{commands}"));
        if args.iter().any(|a| a == "--open") {
            let browser = dir.path().join(format!("browser-{commands}"));
            write_browser(&browser, &seen);
            cmd.env("CHINAUMS_BROWSER", &browser);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{line}\n{stderr}");
        assert!(no_panic().eval(&stderr), "{stderr}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        if args.iter().any(|a| a == "--open") {
            // The browser was handed the URL printed; open it as the browser would.
            let url = wait_for(&seen);
            assert_eq!(format!("{url}\n"), stdout, "{line}");
            let head = browser_get(&url);
            assert!(head.starts_with("HTTP/1.1 302"), "{head}");
            assert!(
                head.contains(&format!("http://127.0.0.1:{port}/sandbox/cashier?")),
                "{head}"
            );
        }
        let first = squeeze(stdout.lines().next().unwrap_or_default());
        last = Some((line.clone(), first));
        commands += 1;
    }
    assert!(last.is_none(), "every command's output is checked");
    assert!(commands >= 10, "{commands} commands");
    assert_eq!(sandbox.interrupt().code(), Some(0));
}

use predicates::Predicate as _;

/// A stand-in for the browser: writes the URL it is given to `seen` (whole, then renamed, so a
/// reader never sees half of it).
fn write_browser(path: &std::path::Path, seen: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(
        path,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The file the stand-in browser writes; it is not waited for by the command, so wait for its
/// file here (no time is measured: the loop only bounds a hang).
fn wait_for(seen: &std::path::Path) -> String {
    for _ in 0..600 {
        if let Ok(url) = std::fs::read_to_string(seen) {
            return url;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the stand-in browser never ran");
}
