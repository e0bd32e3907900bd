//! The signals that end a run early — SIGINT (Ctrl-C), SIGTERM (`timeout`, CI cancellation,
//! `docker stop`) and SIGHUP (the terminal went away) — caught so that the scratch database and
//! the throw-away cluster are removed before the process exits with 128 + the signal's number.
//!
//! Once installed, the handlers stay for the life of the process: a signal that arrives while
//! files are being swapped into place waits until the swap is done instead of interrupting it.

use futures::FutureExt;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit_codes;

/// A signal that ended the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// SIGINT.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
}

impl Caught {
    /// 128 + the signal's number, as shells report a process ended by it.
    pub fn exit_code(self) -> u8 {
        match self {
            Caught::Interrupt => exit_codes::INTERRUPTED,
            Caught::Terminate => exit_codes::TERMINATED,
            Caught::Hangup => exit_codes::HANGUP,
        }
    }

    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            Caught::Interrupt => "SIGINT",
            Caught::Terminate => "SIGTERM",
            Caught::Hangup => "SIGHUP",
        }
    }
}

/// The installed handlers.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    /// Installs the handlers (needs a Tokio runtime).
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next signal.
    pub async fn recv(&mut self) -> Caught {
        tokio::select! {
            _ = self.interrupt.recv() => Caught::Interrupt,
            _ = self.terminate.recv() => Caught::Terminate,
            _ = self.hangup.recv() => Caught::Hangup,
        }
    }

    /// A signal that arrived and has not been received yet, waiting briefly for the runtime to
    /// deliver one that is on its way. A failure is checked against it: Ctrl-C reaches the
    /// whole process group, so `initdb` or the throw-away server may fail because of the very
    /// signal that is waiting here, and the run was then interrupted, not broken.
    pub async fn arrived(&mut self) -> Option<Caught> {
        if let Some(caught) = self.pending() {
            return Some(caught);
        }
        tokio::time::timeout(std::time::Duration::from_millis(100), self.recv())
            .await
            .ok()
    }

    /// A signal that arrived and has not been received yet.
    pub fn pending(&mut self) -> Option<Caught> {
        if self.interrupt.recv().now_or_never().is_some() {
            Some(Caught::Interrupt)
        } else if self.terminate.recv().now_or_never().is_some() {
            Some(Caught::Terminate)
        } else if self.hangup.recv().now_or_never().is_some() {
            Some(Caught::Hangup)
        } else {
            None
        }
    }
}
