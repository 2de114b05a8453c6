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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Per request head, in order: `true` when it carried both headers; and
/// whether the connection was upgraded (no more heads to scan).
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadFlags(Arc<Mutex<VecDeque<bool>>>, Arc<AtomicBool>);

impl HeadFlags {
    /// Whether the next request (in order) had both `Content-Length` and
    /// `Transfer-Encoding`.
    pub(crate) fn next_had_both(&self) -> bool {
        let mut flags = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        flags.pop_front().unwrap_or(false)
    }

    /// The connection is being upgraded (a 101 is on its way): stop
    /// scanning, the bytes from now on are not HTTP.
    pub(crate) fn upgraded(&self) {
        self.1.store(true, Ordering::Relaxed);
    }

    fn push(&self, both: bool) {
        let mut flags = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        flags.push_back(both);
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
#[derive(Debug)]
pub(crate) struct WireIo<T> {
    inner: T,
    state: State,
    /// The current line (heads, chunk sizes, trailers), up to `max_line`.
    line: Vec<u8>,
    max_line: usize,
    flags: HeadFlags,
}

impl<T> WireIo<T> {
    /// Wrap `inner`; lines longer than `max_line` stop the scan (hyper
    /// refuses such heads itself).
    pub(crate) fn new(inner: T, max_line: usize, flags: HeadFlags) -> Self {
        Self {
            inner,
            state: State::head(),
            line: Vec::new(),
            max_line,
            flags,
        }
    }

    fn scan(&mut self, mut bytes: &[u8]) {
        if self.flags.1.load(Ordering::Relaxed) {
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
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            let filled = buf.filled();
            this.scan(&filled[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WireIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
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
        let queue = flags.0.lock().unwrap_or_else(PoisonError::into_inner);
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
