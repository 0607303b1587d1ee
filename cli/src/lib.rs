//! # chinaums-cli
//!
//! The `chinaums` command: query the payment result of a ChinaUMS netpay order, print the
//! OPEN-BODY-SIG header for a body step by step, and run the local sandbox gateway. See the
//! README or `chinaums --help`.
//!
//! The binary is a thin wrapper around [`run`]; each command lives in its own module and
//! returns either the text to print or a [`CliError`] that carries its exit code.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

pub mod args;
pub mod connect;
pub mod exit;
pub mod query;
pub mod redact;
pub mod serve;
pub mod sign;

pub use exit::{Class, CliError, Exit};

use args::{AuthArg, Cli, Command};

/// Parses `argv`, runs the command, prints its output or error, and returns the exit code.
///
/// With `--json`, an error is also printed as a JSON object on stdout ([`CliError::to_json`]),
/// including one clap finds while reading the command line.
pub fn run<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version come here too, with exit code 0.
            print_clap(&e);
            if e.exit_code() != 0 && asks_for_json(&argv) {
                print_json(&clap_error(&e));
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let json = matches!(&cli.command, Command::Query(args) if args.json);
    match dispatch(&cli).and_then(|out| print(&out)) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "{e}");
            if json {
                print_json(&e);
            }
            e.exit().into()
        }
    }
}

/// Whether `--json` is on the command line (before any `--`). Used only when clap could not
/// read the line, so the parsed flag is not there to ask.
fn asks_for_json(argv: &[OsString]) -> bool {
    argv.iter()
        .skip(1)
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "--json")
}

/// A clap error (exit 2) as a usage [`CliError`]: its first paragraph without the `error: `
/// (which may list the missing arguments), and its `tip:` as the hint.
fn clap_error(e: &clap::Error) -> CliError {
    let text = e.render().to_string();
    let mut paragraphs = text.split("\n\n").map(str::trim_end);
    let first = paragraphs.next().unwrap_or_default();
    let error = CliError::usage(first.strip_prefix("error: ").unwrap_or(first));
    match paragraphs.find_map(|p| p.trim_start().strip_prefix("tip: ")) {
        Some(tip) => error.hint(tip),
        None => error,
    }
}

/// Prints `error` as JSON on stdout; a closed stdout leaves the stderr text as the report.
fn print_json(error: &CliError) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(error.to_json().as_bytes())
        .and_then(|()| stdout.flush());
}

/// Prints clap's error, help or version text where clap would, in colour on a terminal, with
/// URL passwords redacted: clap repeats argument values, and help shows `CHINAUMS_ENV`'s value.
fn print_clap(e: &clap::Error) {
    let (mut out, terminal): (Box<dyn Write>, bool) = if e.use_stderr() {
        (Box::new(std::io::stderr()), std::io::stderr().is_terminal())
    } else {
        (Box::new(std::io::stdout()), std::io::stdout().is_terminal())
    };
    let styled = e.render();
    let text = if terminal && std::env::var_os("NO_COLOR").is_none() {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let _ = out
        .write_all(redact::urls(&text).as_bytes())
        .and_then(|()| out.flush());
}

fn dispatch(cli: &Cli) -> Result<String, CliError> {
    // `--sandbox`/`--auth` before the subcommand are accepted for `query` only.
    let query_only = |what: &str| {
        CliError::usage(format!(
            "{what} applies to `query` only, not to `{}`",
            match cli.command {
                Command::Sign(_) => "sign",
                _ => "sandbox",
            }
        ))
    };
    match &cli.command {
        Command::Query(args) => {
            // Given on both sides of `query`, the one after it (the later one) wins.
            let sandbox = cli.sandbox || args.sandbox;
            let auth = args.auth.or(cli.auth).unwrap_or(AuthArg::BodySig).into();
            query::run(args, sandbox, auth)
        }
        Command::Sign(_) | Command::Sandbox(_) if cli.sandbox => Err(query_only("--sandbox")),
        Command::Sign(_) | Command::Sandbox(_) if cli.auth.is_some() => Err(query_only("--auth")),
        Command::Sign(args) => sign::run(args),
        Command::Sandbox(args) => serve::run(args).map(|()| String::new()),
    }
}

/// Writes `out` to stdout. A closed pipe (`chinaums … | head -1`) is not an error.
fn print(out: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(
            Class::Other,
            format!("cannot write to stdout: {e}"),
        )),
    }
}
