//! Waiting for Ctrl-C, for the commands that run until then (`sandbox`, `listen`).

use std::time::Duration;

use crate::exit::{Class, CliError};

/// A Ctrl-C listener, registered from the moment it is created, and the current-thread tokio
/// runtime it waits on. A command may run its own tasks on that runtime
/// ([`Interrupt::runtime`]): they make progress while [`Interrupt::wait`] blocks.
pub struct Interrupt {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    /// Registers the listener (before anything is printed: a script that reads the banner and
    /// then interrupts at once must find the handler in place, else SIGINT kills the process).
    pub fn listen() -> Result<Interrupt, CliError> {
        let cannot = |e: std::io::Error| {
            CliError::new(Class::Other, format!("cannot listen for Ctrl-C: {e}"))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(cannot)?;
        let signal = {
            let _context = runtime.enter();
            #[cfg(unix)]
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
            #[cfg(windows)]
            let signal = tokio::signal::windows::ctrl_c();
            signal.map_err(cannot)?
        };
        Ok(Interrupt { runtime, signal })
    }

    /// The runtime [`Interrupt::wait`] drives: tasks spawned on it run until Ctrl-C.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Blocks until Ctrl-C, running the runtime's tasks meanwhile.
    pub fn wait(&mut self) {
        self.runtime.block_on(self.signal.recv());
    }

    /// Stops the runtime's tasks, giving blocking work (an exchange in flight) at most `grace`.
    pub fn shutdown(self, grace: Duration) {
        self.runtime.shutdown_timeout(grace);
    }
}
