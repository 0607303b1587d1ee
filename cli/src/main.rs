//! The `chinaums` binary; everything is in the `chinaums_cli` library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    chinaums_cli::run(std::env::args_os())
}
