//! One file per command: its own arguments (the shared groups come from [`crate::common`]),
//! its help text, and its [`Run`].

pub mod bill;
pub mod close;
pub mod h5_url;
pub mod listen;
pub mod notify;
pub mod order;
pub mod query;
pub mod refund;
pub mod refund_query;
pub mod sandbox;
pub mod secure;
pub mod sign;
pub mod split;

use crate::common::ApiArgs;
use crate::exit::CliError;

/// A command, once its arguments are parsed.
pub trait Run {
    /// Runs the command and returns what to print on stdout.
    fn run(&self) -> Result<String, CliError>;

    /// The shared [`ApiArgs`] of an API command (one that calls the platform): such a command
    /// also accepts `--sandbox` and `--auth` before its name, and prints an error as JSON with
    /// `--json`. `None` for the others.
    fn api(&mut self) -> Option<&mut ApiArgs> {
        None
    }

    /// Whether an error is also printed as JSON (`--json`): an API command's `--json`, or a
    /// command's own.
    fn json(&mut self) -> bool {
        self.api().is_some_and(|api| api.json)
    }
}
