//! # chinaums-cli
//!
//! The `chinaums` command: query the payment result of a ChinaUMS netpay order, refund it, ask
//! about a refund, close an unpaid order, complete or cancel a guaranteed payment, confirm the
//! shares of a split payment; print the OPEN-BODY-SIG header for a body step by step, run
//! the local sandbox gateway, verify a payment notification and receive them on this machine
//! (`notify verify`, `listen`). See the README or `chinaums --help`.
//!
//! The binary is a thin wrapper around [`run`]. The layout:
//!
//! - [`args`]: the root command line (`chinaums` and its subcommands) and the exit-code table;
//! - [`commands`]: one file per command, with its own arguments, help and [`commands::Run`],
//!   returning the text to print or a [`CliError`] that carries its exit code;
//! - [`common`]: the argument groups the commands share (credentials, merchant, connection, and
//!   [`common::ApiArgs`], all of them for an API command);
//! - [`connect`]: how an API command turns those into a client, sends its operation
//!   ([`connect::execute`]) and hands the answer to
//! - [`render`]: any typed answer as a summary (each field it carries, amounts in yuan and fen,
//!   the decision first) or as JSON;
//! - [`exit`]: exit codes and the error type; [`redact`]: URL passwords kept out of all output;
//! - [`interrupt`]: waiting for Ctrl-C (`sandbox`, `listen`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

pub mod args;
pub mod commands;
pub mod common;
pub mod connect;
pub mod control;
pub mod exit;
pub mod interrupt;
pub mod order;
pub mod redact;
pub mod render;

pub use exit::{Class, CliError, Exit};

use args::Cli;
use clap::{CommandFactory, FromArgMatches};

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
    let (mut cli, name) = match parse(&argv) {
        Ok(parsed) => parsed,
        Err(e) => {
            // --help and --version come here too, with exit code 0.
            print_clap(&e);
            if e.exit_code() != 0 && asks_for_json(&argv) {
                print_json(&clap_error(&e));
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let json = cli.command.json();
    match dispatch(cli, &name).and_then(|out| print(&out)) {
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

/// The command line, and the subcommand's name (for messages).
fn parse(argv: &[OsString]) -> Result<(Cli, String), clap::Error> {
    let mut matches = Cli::command().try_get_matches_from(argv)?;
    let name = matches.subcommand_name().unwrap_or_default().to_owned();
    let cli = Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut Cli::command()))?;
    Ok((cli, name))
}

/// The API commands (those with the shared API arguments, nested ones by their full name),
/// for messages: `` `query`, `refund` and `secure cancel` ``.
fn api_commands() -> String {
    fn walk(command: &clap::Command, prefix: &str, names: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            let name = format!("{prefix}{}", sub.get_name());
            if sub.get_arguments().any(|a| a.get_id() == "sandbox") {
                names.push(format!("`{name}`"));
            }
            walk(sub, &format!("{name} "), names);
        }
    }
    let mut names = Vec::new();
    walk(&Cli::command(), "", &mut names);
    match names.as_slice() {
        [] => "API commands".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
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

/// Runs the command. `--sandbox`/`--auth` before the subcommand belong to an API command: they
/// are moved into its arguments (given on both sides, the one after the subcommand wins), and
/// refused by the others.
fn dispatch(mut cli: Cli, name: &str) -> Result<String, CliError> {
    let command = &mut cli.command;
    match command.api() {
        Some(api) => {
            api.connection.sandbox |= cli.sandbox;
            api.connection.auth = api.connection.auth.or(cli.auth);
        }
        None => {
            for (given, flag) in [(cli.sandbox, "--sandbox"), (cli.auth.is_some(), "--auth")] {
                if given {
                    return Err(CliError::usage(format!(
                        "{flag} applies to {} only, not to `{}`",
                        api_commands(),
                        name,
                    )));
                }
            }
        }
    }
    command.run().run()
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
