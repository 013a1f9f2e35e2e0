//! One connection's socket as hyper sees it: where the connection is between requests, the
//! header-read and idle deadlines, and hyper's own bodiless error answers replaced by the
//! protocol's.
//!
//! Why a socket wrapper and not hyper's `header_read_timeout`: hyper starts that timer when it
//! begins waiting for a request head, so on a kept-alive connection it also bounds the idle
//! time between requests and one setting cannot be 10 s for a head and 60 s for idling. Here
//! the idle deadline runs from the end of the last response and the header deadline from the
//! first byte of the next request.
//!
//! Why hyper's answers are rewritten: for a head it cannot parse (a control character in a
//! header, a bad `Content-Length`, too many or too large headers) hyper writes a status line
//! with no body and closes, before any service is called. hyper only writes on its own while
//! no request is being served, so a write that arrives in [`Phase::Idle`] or [`Phase::Head`]
//! is such an answer: its status is kept and the protocol's refusal is written instead.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use hyper::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::refusal::{diagnose, Protocol, Refusal};
use crate::Limits;

/// The most bytes of a request head kept to say what was wrong with it.
const HEAD_COPY: usize = 64 * 1024;

/// Where a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Between requests, nothing of the next one read: the idle deadline runs.
    Idle,
    /// Part of a request head read: the header deadline runs.
    Head,
    /// A request handed to the service, its response not yet all written: no deadline (a
    /// long poll may take a minute, StartSyncExecution five).
    Serving,
}

/// What the service side tells the socket side.
#[derive(Debug)]
pub(crate) struct State {
    phase: Phase,
    /// Bumped at every move to `Idle` or `Head`, so the socket re-arms its deadline.
    epoch: u64,
    /// The response's body has ended (hyper has it all); once flushed, back to `Idle`.
    response_done: bool,
    head: Vec<u8>,
}

#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(State {
            phase: Phase::Idle,
            epoch: 0,
            response_done: false,
            head: Vec::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain data behind; keep using it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// hyper parsed a head and calls the service.
    pub(crate) fn serving(&self) {
        let mut state = self.lock();
        state.phase = Phase::Serving;
        state.response_done = false;
        state.head.clear();
    }

    /// The response body has ended or was dropped.
    pub(crate) fn response_done(&self) {
        self.lock().response_done = true;
    }
}

/// The socket hyper reads and writes.
pub(crate) struct Guarded<IO> {
    io: IO,
    shared: Shared,
    limits: Arc<Limits>,
    protocol: Protocol,
    deadline: Pin<Box<Sleep>>,
    /// The epoch the deadline was armed for; `None`: not armed (serving).
    armed: Option<u64>,
    /// Our own answer, replacing hyper's, and how much of it is written.
    answer: Option<(Bytes, usize)>,
    /// hyper's automatic answer was replaced: everything else it writes is dropped.
    refused: bool,
}

impl<IO> Guarded<IO> {
    pub(crate) fn new(io: IO, shared: Shared, limits: Arc<Limits>, protocol: Protocol) -> Self {
        let idle = limits.idle_timeout;
        Self {
            io,
            shared,
            limits,
            protocol,
            deadline: Box::pin(tokio::time::sleep(idle)),
            armed: Some(0),
            answer: None,
            refused: false,
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Guarded<IO> {
    /// Arms the deadline of the current phase if it changed since the last look; answers
    /// whether it has passed.
    fn deadline_passed(&mut self, cx: &mut Context<'_>) -> bool {
        let (phase, epoch) = {
            let state = self.shared.lock();
            (state.phase, state.epoch)
        };
        let timeout = match phase {
            Phase::Serving => {
                self.armed = None;
                return false;
            }
            Phase::Idle => self.limits.idle_timeout,
            Phase::Head => self.limits.header_read_timeout,
        };
        if self.armed != Some(epoch) {
            self.armed = Some(epoch);
            self.deadline.as_mut().reset(Instant::now() + timeout);
        }
        self.deadline.as_mut().poll(cx).is_ready()
    }

    /// Writes what is left of our own answer; ready once it is all out.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.answer {
            if *written == bytes.len() {
                self.answer = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// hyper is about to answer on its own: write the protocol's refusal instead.
    fn replace(&mut self, hyper_bytes: &[u8]) {
        let status = status_of(hyper_bytes);
        let head = std::mem::take(&mut self.shared.lock().head);
        let refusal = Refusal::Malformed {
            status,
            detail: diagnose(status, &head, &self.limits),
        };
        tracing::debug!(status = status.as_u16(), detail = %refusal.message(), "refused a malformed request");
        self.answer = Some((refusal.response_bytes(self.protocol), 0));
        self.refused = true;
    }
}

/// The status of a response hyper wrote (`HTTP/1.1 431 …`); 400 if it cannot be read.
fn status_of(bytes: &[u8]) -> StatusCode {
    bytes
        .get(9..12)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::BAD_REQUEST)
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    let mut state = this.shared.lock();
                    if state.phase == Phase::Idle {
                        state.phase = Phase::Head;
                        state.epoch += 1;
                    }
                    if state.phase == Phase::Head {
                        let room = HEAD_COPY.saturating_sub(state.head.len());
                        state.head.extend_from_slice(&read[..read.len().min(room)]);
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if this.deadline_passed(cx) {
                    let phase = this.shared.lock().phase;
                    tracing::debug!(?phase, "closing a connection that sent nothing in time");
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        match phase {
                            Phase::Head => "request head not received in time",
                            _ => "connection idle",
                        },
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.refused {
            let phase = this.shared.lock().phase;
            if phase == Phase::Serving {
                return Pin::new(&mut this.io).poll_write(cx, data);
            }
            this.replace(data);
        }
        ready!(this.poll_answer(cx))?;
        // hyper's own bytes, replaced: reported as written so it goes on to close.
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_answer(cx))?;
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        // hyper flushes its whole buffer before flushing the socket: once the response body
        // has ended, everything of the response is out.
        let now_idle = {
            let mut state = this.shared.lock();
            let done = state.phase == Phase::Serving && state.response_done;
            if done {
                state.phase = Phase::Idle;
                state.epoch += 1;
                state.response_done = false;
            }
            done
        };
        if now_idle {
            // Arm the idle deadline with this task's waker now: hyper may not read again
            // until the socket is readable (its last read was already pending), and a client
            // that sends nothing would never make it so.
            let _ = this.deadline_passed(cx);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_answer(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
