//! [`WireIo`]: the client connection as hyper reads it, with a scan of each
//! request head on the wire for `Content-Length` *and* `Transfer-Encoding`.
//!
//! hyper follows RFC 9112 §6.3 there: it drops `Content-Length`, reads the
//! body as chunked and closes the connection afterwards, so the request
//! reaches the server without a trace of the conflict. Rivetr refuses such
//! requests outright (a smuggling attempt), which needs the raw head: this
//! wrapper follows the message framing (heads, `Content-Length` bodies,
//! chunked bodies) and records, per request head in order, whether it had
//! both headers. The service takes one record per request.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The connection's state shared between its [`WireIo`], its service and
/// the task that parks it: per request head, in order, `true` when it
/// carried both headers; whether the connection was upgraded (no more
/// heads to scan); and what tells the connection is idle.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadFlags(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    both: Mutex<VecDeque<bool>>,
    upgraded: AtomicBool,
    /// Request heads seen on the wire.
    heads: AtomicU64,
    /// Responses whose body hyper dropped (sent, or the exchange failed).
    answered: AtomicU64,
    /// hyper waits for bytes between messages, with everything flushed.
    quiet: AtomicBool,
    /// Times the connection was parked.
    parks: AtomicU64,
}

impl HeadFlags {
    /// Whether the next request (in order) had both `Content-Length` and
    /// `Transfer-Encoding`.
    pub(crate) fn next_had_both(&self) -> bool {
        let mut flags = (self.0.both.lock()).unwrap_or_else(PoisonError::into_inner);
        flags.pop_front().unwrap_or(false)
    }

    /// The connection is being upgraded (a 101 is on its way): stop
    /// scanning, the bytes from now on are not HTTP.
    pub(crate) fn upgraded(&self) {
        self.0.upgraded.store(true, Ordering::Relaxed);
    }

    /// A response is done with (its body dropped by hyper).
    pub(crate) fn answered(&self) {
        self.0.answered.fetch_add(1, Ordering::Relaxed);
    }

    /// Request heads seen on the wire so far.
    pub(crate) fn heads(&self) -> u64 {
        self.0.heads.load(Ordering::Relaxed)
    }

    /// Whether the connection is idle: every request seen answered, the
    /// responses flushed, hyper waiting for the next head with no partial
    /// message read, and not upgraded.
    pub(crate) fn is_idle(&self) -> bool {
        self.0.quiet.load(Ordering::Relaxed)
            && !self.0.upgraded.load(Ordering::Relaxed)
            && self.0.heads.load(Ordering::Relaxed) == self.0.answered.load(Ordering::Relaxed)
    }

    /// The connection is parked (taken back from hyper while idle).
    pub(crate) fn parked(&self) {
        self.0.parks.fetch_add(1, Ordering::Relaxed);
    }

    /// Times the connection was parked.
    #[cfg(test)]
    pub(crate) fn parks(&self) -> u64 {
        self.0.parks.load(Ordering::Relaxed)
    }

    fn push(&self, both: bool) {
        let mut flags = (self.0.both.lock()).unwrap_or_else(PoisonError::into_inner);
        flags.push_back(both);
        self.0.heads.fetch_add(1, Ordering::Relaxed);
    }
}

/// Where the scan is in the byte stream.
#[derive(Debug)]
enum State {
    /// In a head; `lines` counts its lines so far.
    Head {
        lines: usize,
        length: Option<u64>,
        has_length: bool,
        has_encoding: bool,
    },
    /// In a `Content-Length` body: bytes left.
    Body(u64),
    /// In a chunked body, reading a chunk-size line.
    ChunkSize,
    /// In a chunk's data: bytes left, then its CRLF.
    ChunkData(u64),
    /// The CRLF after a chunk's data (up to its `\n`).
    ChunkEnd,
    /// In the trailer section, up to an empty line.
    Trailers,
    /// Stop scanning: the connection will close (or hyper refuses it).
    Stopped,
}

impl State {
    fn head() -> Self {
        Self::Head {
            lines: 0,
            length: None,
            has_length: false,
            has_encoding: false,
        }
    }
}

/// A client connection whose request heads are scanned as they are read.
///
/// It also tells its [`HeadFlags`] whether hyper is waiting for bytes
/// between messages with everything flushed (see [`HeadFlags::is_idle`]),
/// and can start with bytes an earlier hyper connection read ahead.
#[derive(Debug)]
pub(crate) struct WireIo<T> {
    inner: T,
    /// Bytes read (and scanned) before, served first.
    ahead: Bytes,
    state: State,
    /// The current line (heads, chunk sizes, trailers), up to `max_line`.
    line: Vec<u8>,
    max_line: usize,
    flags: HeadFlags,
    read_pending: bool,
    flushed: bool,
}

impl<T> WireIo<T> {
    /// Wrap `inner`; lines longer than `max_line` stop the scan (hyper
    /// refuses such heads itself).
    pub(crate) fn new(inner: T, max_line: usize, flags: HeadFlags) -> Self {
        Self {
            inner,
            ahead: Bytes::new(),
            state: State::head(),
            line: Vec::new(),
            max_line,
            flags,
            read_pending: false,
            flushed: true,
        }
    }

    /// The same connection for a new hyper connection, after the previous
    /// one read `ahead` without parsing it: those bytes come first (they
    /// were scanned already).
    pub(crate) fn resume(mut self, ahead: Bytes) -> Self {
        self.ahead = ahead;
        self.read_pending = false;
        self.flushed = true;
        self
    }

    /// The connection's shared state.
    pub(crate) fn flags(&self) -> &HeadFlags {
        &self.flags
    }

    /// The client stream.
    pub(crate) fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The client stream, for closing it.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// A write: the connection is not quiet until the next flush.
    fn unflushed(&mut self) {
        if self.flushed {
            self.flushed = false;
            self.flags.0.quiet.store(false, Ordering::Relaxed);
        }
    }

    /// Publish whether hyper waits between messages with nothing unflushed.
    fn update_quiet(&self) {
        let boundary = self.line.is_empty() && matches!(self.state, State::Head { lines: 0, .. });
        let quiet = self.read_pending && self.flushed && boundary && self.ahead.is_empty();
        self.flags.0.quiet.store(quiet, Ordering::Relaxed);
    }

    fn scan(&mut self, mut bytes: &[u8]) {
        if self.flags.0.upgraded.load(Ordering::Relaxed) {
            self.state = State::Stopped;
        }
        while !bytes.is_empty() {
            match &mut self.state {
                State::Stopped => return,
                State::Body(left) => {
                    let take = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= take as u64;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.state = State::head();
                    }
                }
                State::ChunkData(left) => {
                    let take = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= take as u64;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.state = State::ChunkEnd;
                    }
                }
                State::ChunkEnd => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    if byte == b'\n' {
                        self.state = State::ChunkSize;
                    }
                }
                State::Head { .. } | State::ChunkSize | State::Trailers => {
                    let Some(end) = bytes.iter().position(|b| *b == b'\n') else {
                        self.line.extend_from_slice(bytes);
                        if self.line.len() > self.max_line {
                            self.state = State::Stopped;
                        }
                        return;
                    };
                    self.line.extend_from_slice(&bytes[..end]);
                    bytes = &bytes[end + 1..];
                    if self.line.len() > self.max_line {
                        self.state = State::Stopped;
                        return;
                    }
                    let mut line = std::mem::take(&mut self.line);
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    self.on_line(&line);
                }
            }
        }
    }

    fn on_line(&mut self, line: &[u8]) {
        match &mut self.state {
            State::Head {
                lines,
                length,
                has_length,
                has_encoding,
            } => {
                if line.is_empty() {
                    if *lines == 0 {
                        return; // Empty lines before a request line are allowed.
                    }
                    let both = *has_length && *has_encoding;
                    self.flags.push(both);
                    self.state = if both {
                        State::Stopped // hyper closes the connection after it.
                    } else if *has_encoding {
                        State::ChunkSize
                    } else {
                        match *length {
                            Some(n) if n > 0 => State::Body(n),
                            _ => State::head(),
                        }
                    };
                    return;
                }
                *lines += 1;
                if *lines == 1 {
                    return; // The request line.
                }
                let Some(colon) = line.iter().position(|b| *b == b':') else {
                    return;
                };
                let (name, value) = (&line[..colon], &line[colon + 1..]);
                if name.eq_ignore_ascii_case(b"content-length") {
                    *has_length = true;
                    let parsed = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    match parsed {
                        Some(n) => *length = Some(n),
                        // hyper refuses it; stop following the framing.
                        None => self.state = State::Stopped,
                    }
                } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                    *has_encoding = true;
                }
            }
            State::ChunkSize => {
                let size = std::str::from_utf8(line).ok().and_then(|l| {
                    let digits = l.split(';').next().unwrap_or("").trim();
                    u64::from_str_radix(digits, 16).ok()
                });
                self.state = match size {
                    Some(0) => State::Trailers,
                    Some(n) => State::ChunkData(n),
                    None => State::Stopped,
                };
            }
            State::Trailers => {
                if line.is_empty() {
                    self.state = State::head();
                }
            }
            State::Body(_) | State::ChunkData(_) | State::ChunkEnd | State::Stopped => {}
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for WireIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.ahead.is_empty() {
            let n = this.ahead.len().min(buf.remaining());
            buf.put_slice(&this.ahead[..n]);
            this.ahead.advance(n);
            this.read_pending = false;
            this.update_quiet();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) => {
                let filled = buf.filled();
                this.scan(&filled[before..]);
                this.read_pending = false;
            }
            Poll::Ready(Err(_)) => this.read_pending = false,
            Poll::Pending => this.read_pending = true,
        }
        this.update_quiet();
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WireIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.unflushed();
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        if let Poll::Ready(Ok(())) = polled {
            this.flushed = true;
            this.update_quiet();
        }
        polled
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.unflushed();
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(wire: &[u8], chunk: usize) -> Vec<bool> {
        let flags = HeadFlags::default();
        let mut io = WireIo::new((), 8192, flags.clone());
        for part in wire.chunks(chunk) {
            io.scan(part);
        }
        let mut out = Vec::new();
        let queue = (flags.0.both.lock()).unwrap_or_else(PoisonError::into_inner);
        out.extend(queue.iter().copied());
        out
    }

    #[test]
    fn follows_bodies_between_pipelined_heads() {
        let wire = b"POST / HTTP/1.1\r\nContent-Length: 41\r\n\r\n\
            content-length: 1\r\ntransfer-encoding: x\r\n\
            POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
            5;ext\r\nhello\r\n0\r\nX-T: 1\r\n\r\n\
            \r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n\
            POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
        for chunk in [1, 3, 7, wire.len()] {
            assert_eq!(
                flags_of(wire, chunk),
                [false, false, false, true],
                "{chunk}"
            );
        }
    }
}
