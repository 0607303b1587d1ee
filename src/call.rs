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
use std::time::{Duration, SystemTime};

use event_listener::{EventListener, Listener as _};

use crate::auth::AuthScheme;
use crate::auth::token::{self, AccessToken};
use crate::auth::token_cache::{Decision, StoredToken};
use crate::client::Client;
use crate::error::{Delivery, Error, ErrorClass, TransportError};
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

#[derive(Debug)]
enum State {
    Ready,
    /// Waiting for another call's token fetch `attempt`.
    Waiting {
        attempt: u64,
    },
    /// This call is fetching token `attempt`, replacing generation `replaces`, asked at `asked_at`.
    FetchingToken {
        attempt: u64,
        replaces: u64,
        asked_at: SystemTime,
    },
    /// The business request is out, authorized by token `generation` (None: OPEN-BODY-SIG).
    InFlight {
        generation: Option<u64>,
    },
    Finished,
}

/// One API call in progress. Created by [`Client::call`]; no I/O of its own.
///
/// With OPEN-ACCESS-TOKEN a call may first send the token request, or wait for another call's;
/// an authentication failure on the business request drops the token, fetches a new one and
/// retries once, never more.
pub struct Call<R> {
    client: Client,
    path: String,
    body: Vec<u8>,
    state: State,
    retried: bool,
    reply: PhantomData<fn() -> R>,
}

impl<R> fmt::Debug for Call<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("path", &self.path)
            .field("state", &self.state)
            .field("retried", &self.retried)
            .finish_non_exhaustive()
    }
}

impl<R> Drop for Call<R> {
    fn drop(&mut self) {
        // A call dropped mid-fetch must not leave the others waiting forever.
        if let State::FetchingToken { attempt, .. } = self.state {
            self.client.tokens().abandon(attempt);
        }
    }
}

impl<R: Reply> Call<R> {
    pub(crate) fn new(client: Client, path: String, body: Vec<u8>) -> Self {
        Call {
            client,
            path,
            body,
            state: State::Ready,
            retried: false,
            reply: PhantomData,
        }
    }

    /// The exact body bytes this call sends.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first step: authorizes the request at the clock's current time.
    pub fn start(&mut self) -> Step<R> {
        if !matches!(self.state, State::Ready) {
            return self.misuse("start() called twice");
        }
        self.authorize()
    }

    /// Continues after a [`Step::Wait`].
    pub fn resume(&mut self) -> Step<R> {
        let State::Waiting { attempt } = self.state else {
            return self.misuse("resume() called without a wait");
        };
        if let Some(error) = self.client.tokens().failure_of(attempt) {
            return self.finish(Err(error));
        }
        self.authorize()
    }

    /// Takes the outcome of the last `Send` and says what to do next.
    pub fn receive(&mut self, outcome: Result<http::Response<Vec<u8>>, TransportError>) -> Step<R> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::FetchingToken {
                attempt,
                replaces,
                asked_at,
            } => self.token_received(attempt, replaces, asked_at, outcome),
            State::InFlight { generation } => {
                let result = match outcome {
                    Ok(response) => response::parse(&response),
                    Err(e) => Err(Error::Transport(e)),
                };
                match (generation, result) {
                    (Some(generation), Err(e))
                        if e.class() == ErrorClass::Auth && !self.retried =>
                    {
                        // The token was rejected: drop it (unless already replaced), refresh
                        // once and retry once.
                        self.retried = true;
                        self.client.tokens().invalidate(generation);
                        self.authorize()
                    }
                    (_, result) => self.finish(result),
                }
            }
            other => {
                self.state = other;
                self.misuse("receive() called without a request in flight")
            }
        }
    }

    fn authorize(&mut self) -> Step<R> {
        if self.client.auth_scheme() == AuthScheme::BodySig {
            return match self.client.sign_request(&self.path, self.body.clone()) {
                Ok(request) => self.send(request, None),
                Err(e) => self.finish(Err(e)),
            };
        }
        let now = self.client.now();
        let app_id = self.client.credentials().app_id().to_owned();
        match self.client.tokens().decide(&app_id, now) {
            Decision::Use(token, generation) => self.send_with_token(&token, generation),
            Decision::Wait { attempt, listener } => {
                self.state = State::Waiting { attempt };
                Step::Wait(Wait(listener))
            }
            Decision::Fetch { attempt, replaces } => match self.client.token_request() {
                Ok(request) => {
                    self.state = State::FetchingToken {
                        attempt,
                        replaces,
                        asked_at: now,
                    };
                    Step::Send(request)
                }
                Err(e) => {
                    let _ =
                        self.client
                            .tokens()
                            .complete(&app_id, attempt, replaces, Err(e.clone()));
                    self.finish(Err(e))
                }
            },
        }
    }

    fn token_received(
        &mut self,
        attempt: u64,
        replaces: u64,
        asked_at: SystemTime,
        outcome: Result<http::Response<Vec<u8>>, TransportError>,
    ) -> Step<R> {
        let issued = match outcome {
            Ok(response) => token::parse_response(&response).map_err(Error::Token),
            // Whatever happened to the token request, the business request was not sent.
            Err(e) => Err(Error::Transport(TransportError::new(
                Delivery::NotSent,
                e.kind,
                format!(
                    "token request failed, business request not sent: {}",
                    e.message
                ),
            ))),
        };
        let stored = issued.map(|issued| StoredToken {
            access_token: issued.access_token,
            // Counted from when the request was made: never later than the server's expiry.
            expires_at: asked_at + Duration::from_secs(issued.expires_in),
        });
        let app_id = self.client.credentials().app_id().to_owned();
        match self
            .client
            .tokens()
            .complete(&app_id, attempt, replaces, stored)
        {
            Ok((token, generation)) => self.send_with_token(&token, generation),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn send_with_token(&mut self, token: &AccessToken, generation: u64) -> Step<R> {
        match self
            .client
            .token_authorized_request(&self.path, self.body.clone(), token)
        {
            Ok(request) => self.send(request, Some(generation)),
            Err(e) => self.finish(Err(e)),
        }
    }

    fn send(&mut self, request: http::Request<Vec<u8>>, generation: Option<u64>) -> Step<R> {
        self.state = State::InFlight { generation };
        Step::Send(request)
    }

    fn finish(&mut self, result: Result<R, Error>) -> Step<R> {
        self.state = State::Finished;
        Step::Done(result)
    }

    fn misuse(&mut self, what: &str) -> Step<R> {
        if let State::FetchingToken { attempt, .. } = self.state {
            self.client.tokens().abandon(attempt);
        }
        self.finish(Err(Error::Config(format!(
            "call driven out of order: {what}"
        ))))
    }
}
