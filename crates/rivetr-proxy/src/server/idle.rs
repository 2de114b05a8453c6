//! Parking idle HTTP/1.1 client connections: a keep-alive connection with
//! no request for [`PARK_AFTER`] is taken back from hyper (whose state
//! holds two 8 KiB buffers per connection) and waits for its next bytes on
//! the bare stream; then a new hyper connection serves it, starting with
//! the bytes the previous one had read ahead.
//!
//! The header read timeout still counts from the end of the last exchange:
//! a parked connection closes when it runs out, and so does the connection
//! rebuilt for it if its next request head is not complete by then.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::local::ResponseBody;
use super::wire::{HeadFlags, WireIo};

/// How long a connection stays in hyper's hands with no request before it
/// is parked: a busy connection (the next request within this) is never
/// parked, which keeps parking off the per-request path.
pub(crate) const PARK_AFTER: Duration = Duration::from_millis(100);

/// A client stream that can wait for its next bytes while parked.
pub(crate) trait Parkable: AsyncRead + AsyncWrite + Unpin + Send + 'static {
    /// Resolves when the stream has bytes (or an end or error) to read.
    /// Called only after a read of the stream returned `Pending`.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send;
}

impl Parkable for TcpStream {
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
        TcpStream::readable(self)
    }
}

impl Parkable for TlsStream<TcpStream> {
    /// A read of the TLS stream returns `Pending` only once rustls holds
    /// no plaintext and the socket had nothing more: what comes next
    /// arrives on the socket.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send {
        self.get_ref().0.readable()
    }
}

/// A response body that tells the connection's [`HeadFlags`] when hyper
/// is done with it (sent, or the exchange failed).
pub(crate) struct Answered {
    inner: ResponseBody,
    flags: HeadFlags,
}

impl Answered {
    /// Track `inner`, a response on the connection of `flags`.
    pub(crate) fn new(inner: ResponseBody, flags: HeadFlags) -> Self {
        Self { inner, flags }
    }
}

impl Drop for Answered {
    fn drop(&mut self) {
        self.flags.answered();
    }
}

impl Body for Answered {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How one hyper connection over the stream ended.
enum Step {
    /// Closed, with hyper's result.
    Closed(hyper::Result<()>),
    /// Rebuilt after parking, and no head came by the deadline.
    HeadTimeout,
    /// Idle since this instant (or before), for at least [`PARK_AFTER`].
    Idle(Instant),
}

/// Serve one HTTP/1.1 client connection over `stream` with services from
/// `new_service` until it closes, parking it whenever it idles; see the
/// module docs. Each hyper connection gets a new service: a parked
/// connection keeps none (nor what a service keeps, such as an upstream
/// connection). On `shutdown` a served connection finishes its request in
/// flight and closes, a parked one closes at once. An upgraded connection
/// is never parked and outlives `shutdown`.
pub(crate) async fn serve_h1<T, F, S>(
    builder: Arc<http1::Builder>,
    mut io: WireIo<T>,
    new_service: F,
    header_read_timeout: Duration,
    peer: SocketAddr,
    shutdown: CancellationToken,
) where
    T: Parkable,
    F: Fn() -> S + Send + 'static,
    S: HttpService<Incoming, ResBody = Answered> + Unpin + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let flags = io.flags().clone();
    let mut ahead = Bytes::new();
    // Until a head arrives on a rebuilt connection: when it must have.
    let mut head_deadline = None;
    let cancelled = shutdown.cancelled();
    let timer = tokio::time::sleep(PARK_AFTER);
    tokio::pin!(cancelled, timer);
    loop {
        let wire = TokioIo::new(io.resume(ahead));
        let connection = Box::new(
            builder
                .serve_connection(wire, new_service())
                .with_upgrades(),
        );
        let heads = flags.heads();
        let step = drive(
            connection,
            &flags,
            head_deadline.map(|d| (d, heads)),
            cancelled.as_mut(),
            timer.as_mut(),
        );
        let (connection, idle_since) = match step.await {
            (_, Step::Closed(Err(error))) => {
                tracing::debug!(%error, %peer, "client connection ended with an error");
                return;
            }
            (_, Step::Closed(Ok(()))) => return,
            (_, Step::HeadTimeout) => {
                tracing::debug!(%peer, "no request head in time: connection dropped");
                return;
            }
            (connection, Step::Idle(since)) => (connection, since),
        };
        flags.parked();
        let Some(parts) = connection.into_parts() else {
            return; // Upgraded: not reached, an upgraded connection is never idle.
        };
        let http1::Parts {
            io: wire,
            read_buf,
            service,
            ..
        } = parts;
        io = wire.into_inner();
        drop(service);
        // hyper's read buffer is 8 KiB: keep only its bytes (if any), and
        // free it now, not when the parked connection wakes.
        ahead = Bytes::copy_from_slice(&read_buf);
        drop(read_buf);
        let deadline = idle_since + header_read_timeout;
        head_deadline = Some(deadline);
        if !ahead.is_empty() {
            continue;
        }
        timer.as_mut().reset(deadline);
        tokio::select! {
            biased;
            () = cancelled.as_mut() => {
                let closed = tokio::time::timeout(header_read_timeout, io.get_mut().shutdown()).await;
                if let Ok(Err(error)) = closed {
                    tracing::debug!(%error, %peer, "closing a parked connection failed");
                }
                return;
            }
            () = timer.as_mut() => {
                tracing::debug!(%peer, "parked connection idle too long: closed");
                return;
            }
            readable = io.get_ref().readable() => {
                if let Err(error) = readable {
                    tracing::debug!(%error, %peer, "parked connection failed");
                    return;
                }
            }
        }
    }
}

/// Poll `connection` until it closes or idles for [`PARK_AFTER`]. With
/// `head_deadline` (a rebuilt connection: the deadline and the head count
/// it started with), it is dropped if no head arrives by then, and not
/// parked before. Once `cancelled`, it shuts down gracefully instead.
async fn drive<C>(
    mut connection: Box<C>,
    flags: &HeadFlags,
    mut head_deadline: Option<(Instant, u64)>,
    mut cancelled: Pin<&mut impl Future<Output = ()>>,
    mut timer: Pin<&mut Sleep>,
) -> (Box<C>, Step)
where
    C: Future<Output = hyper::Result<()>> + Unpin + GracefulShutdown,
{
    let mut closing = false;
    // When the timer was set for parking, and the head count then.
    let mut armed: Option<(Instant, u64)> = None;
    if let Some((deadline, _)) = head_deadline {
        timer.as_mut().reset(deadline);
    }
    let step = poll_fn(|cx| {
        if !closing && cancelled.as_mut().poll(cx).is_ready() {
            closing = true;
            Pin::new(&mut *connection).graceful_shutdown();
        }
        if let Poll::Ready(result) = Pin::new(&mut *connection).poll(cx) {
            return Poll::Ready(Step::Closed(result));
        }
        if closing {
            return Poll::Pending;
        }
        if let Some((_, heads)) = head_deadline {
            if flags.heads() == heads {
                return timer.as_mut().poll(cx).map(|()| Step::HeadTimeout);
            }
            head_deadline = None;
        }
        if !flags.is_idle() {
            return Poll::Pending;
        }
        // The timer is set once per quiet period, not per request: when it
        // rings, the connection is parked if no request came since it was
        // set (idle all along), else it is set again.
        let heads = flags.heads();
        loop {
            let (since, then) = *armed.get_or_insert_with(|| {
                let now = Instant::now();
                timer.as_mut().reset(now + PARK_AFTER);
                (now, heads)
            });
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if then == heads {
                return Poll::Ready(Step::Idle(since));
            }
            armed = None;
        }
    })
    .await;
    (connection, step)
}

/// hyper's graceful shutdown, for [`drive`].
pub(crate) trait GracefulShutdown {
    /// Stop keep-alive: finish the exchange in flight, then close.
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<I, S> GracefulShutdown for http1::UpgradeableConnection<I, S>
where
    S: HttpService<Incoming, ResBody = Answered>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    fn graceful_shutdown(self: Pin<&mut Self>) {
        http1::UpgradeableConnection::graceful_shutdown(self);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use std::convert::Infallible;

    use http_body_util::{BodyExt, Full};
    use hyper::Response;
    use hyper::service::service_fn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A connection served by [`serve_h1`] answering each request with its
    /// path; its flags, to count parks.
    async fn served() -> (TcpStream, HeadFlags, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        let (stream, peer) = accepted.unwrap();
        let flags = HeadFlags::default();
        let io = WireIo::new(stream, 8192, flags.clone());
        let answer_flags = flags.clone();
        let service = move || {
            let answer_flags = answer_flags.clone();
            service_fn(move |req: hyper::Request<Incoming>| {
                let body = Full::new(Bytes::from(req.uri().path().to_owned()));
                let body = body.map_err(|never| match never {}).boxed_unsync();
                let response = Response::new(Answered::new(body, answer_flags.clone()));
                async move { Ok::<_, Infallible>(response) }
            })
        };
        let mut builder = http1::Builder::new();
        builder.timer(hyper_util::rt::TokioTimer::new());
        let shutdown = CancellationToken::new();
        let timeout = Duration::from_secs(30);
        tokio::spawn(serve_h1(
            Arc::new(builder),
            io,
            service,
            timeout,
            peer,
            shutdown.clone(),
        ));
        (client.unwrap(), flags, shutdown)
    }

    /// Read until `count` responses (each ending in its path) are in.
    async fn read_answers(stream: &mut TcpStream, paths: &[&str]) -> String {
        let mut out = String::new();
        let mut buf = [0_u8; 1024];
        while !paths.iter().all(|p| out.contains(&format!("\r\n\r\n{p}"))) {
            let n = stream.read(&mut buf).await.unwrap();
            assert_ne!(n, 0, "closed early: {out}");
            out.push_str(std::str::from_utf8(&buf[..n]).unwrap());
        }
        out
    }

    async fn parked(flags: &HeadFlags, times: u64) {
        while flags.parks() < times {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn an_idle_connection_is_parked_and_served_again() {
        let (mut client, flags, shutdown) = served().await;
        client
            .write_all(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        read_answers(&mut client, &["/one"]).await;
        parked(&flags, 1).await;

        let two = b"GET /two HTTP/1.1\r\nHost: a\r\n\r\nGET /three HTTP/1.1\r\nHost: a\r\n\r\n";
        client.write_all(two).await.unwrap();
        let out = read_answers(&mut client, &["/two", "/three"]).await;
        let (two, three) = (out.find("/two").unwrap(), out.find("/three").unwrap());
        assert!(two < three, "in order: {out}");
        parked(&flags, 2).await;

        shutdown.cancel();
        let mut buf = [0_u8; 16];
        assert_eq!(
            client.read(&mut buf).await.unwrap(),
            0,
            "closed on shutdown"
        );
    }
}
