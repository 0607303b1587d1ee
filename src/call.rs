//! One API call as a small state machine: the adapter sends what it is told to send and hands
//! back what came back, without knowing why.
//!
//! ```text
//! let mut call = client.call(&op)?;
//! let mut step = call.start();
//! loop {
//!     match step {
//!         Step::Send(request) => step = call.receive(transport.send(request)),
//!         Step::Wait(wait) => { wait.wait(); step = call.resume() } // or `wait.await`
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use event_listener::{EventListener, Listener as _};

use crate::client::Client;
use crate::error::{Error, TransportError};
use crate::operation::Reply;
use crate::response;

/// What the adapter must do next.
#[derive(Debug)]
#[must_use]
pub enum Step<R> {
    /// Send this request and pass the outcome to [`Call::receive`].
    Send(http::Request<Vec<u8>>),
    /// Another call of the same client is doing work this call needs (e.g. fetching an access
    /// token): wait for it (`wait.await`, or [`Wait::wait`] when blocking), then call
    /// [`Call::resume`].
    Wait(Wait),
    /// The call is over.
    Done(Result<R, Error>),
}

/// A runtime-neutral wait: a future under any executor, or a blocking [`Wait::wait`].
pub struct Wait(EventListener);

impl Wait {
    #[allow(dead_code)] // produced by the token flow
    pub(crate) fn new(listener: EventListener) -> Self {
        Wait(listener)
    }

    /// Blocks the current thread until the awaited work is done.
    pub fn wait(self) {
        self.0.wait();
    }
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wait")
    }
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    InFlight,
    Finished,
}

/// One API call in progress. Created by [`Client::call`]; no I/O of its own.
pub struct Call<R> {
    client: Client,
    path: String,
    body: Vec<u8>,
    state: State,
    reply: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Call<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("path", &self.path)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<R: Reply> Call<R> {
    pub(crate) fn new(client: Client, path: String, body: Vec<u8>) -> Self {
        Call {
            client,
            path,
            body,
            state: State::Ready,
            reply: PhantomData,
        }
    }

    /// The exact body bytes this call sends.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first step: signs the request at the clock's current time.
    pub fn start(&mut self) -> Step<R> {
        if self.state != State::Ready {
            return self.misuse("start() called twice");
        }
        match self.client.sign_request(&self.path, self.body.clone()) {
            Ok(request) => {
                self.state = State::InFlight;
                Step::Send(request)
            }
            Err(e) => {
                self.state = State::Finished;
                Step::Done(Err(e))
            }
        }
    }

    /// Takes the outcome of the last `Send` and says what to do next.
    pub fn receive(&mut self, outcome: Result<http::Response<Vec<u8>>, TransportError>) -> Step<R> {
        if self.state != State::InFlight {
            return self.misuse("receive() called without a request in flight");
        }
        self.state = State::Finished;
        Step::Done(match outcome {
            Ok(response) => response::parse(&response),
            Err(e) => Err(Error::Transport(e)),
        })
    }

    /// Continues after a [`Step::Wait`].
    pub fn resume(&mut self) -> Step<R> {
        self.misuse("resume() called without a wait")
    }

    fn misuse(&mut self, what: &str) -> Step<R> {
        self.state = State::Finished;
        Step::Done(Err(Error::Config(format!(
            "call driven out of order: {what}"
        ))))
    }
}
