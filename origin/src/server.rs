//! The HTTP layer: accepts connections (HTTP/1.1 with keep-alive, or HTTP/2
//! cleartext, detected per connection), reads the clock once per request,
//! asks the [`App`], logs and counts the answer. Shuts down gracefully: stops
//! accepting, then lets requests in flight finish.
//!
//! No connection is held for ever, and there are never more than
//! [`Limits::max_connections`] (see [`Limits`]); an `accept` that fails
//! (out of descriptors) is retried after a growing delay.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::app::App;
use crate::body::{Body, RequestBody};
use crate::live::HoldUntil;
use crate::time::unix_ms;

/// The client's address, put in each request's extensions for the admin
/// side's throttling.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub std::net::SocketAddr);

/// How long requests in flight may take to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// The longest a request is held for a segment in progress: a segment of
/// the longest content, with room to spare.
const MAX_HOLD_MS: i64 = 30_000;

/// The first and the longest wait after a failed `accept`.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// What bounds the connections the origin holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// HTTP/1.1: the time a client has to send a request's head once the
    /// connection waits for one, so also the longest a keep-alive
    /// connection stays open between requests (hyper starts the timer
    /// when it starts waiting, not at the first byte).
    pub header_timeout: Duration,
    /// Any connection (HTTP/1.1 or HTTP/2) on which no byte moved either
    /// way for this long is closed gracefully, and dropped after as long
    /// again if it still does not move.
    pub idle_timeout: Duration,
    /// Connections beyond these wait in the listen backlog until one closes.
    pub max_connections: usize,
}

async fn answer(app: &App, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let clock_ms = unix_ms(SystemTime::now());
    let (parts, body) = req.into_parts();
    // One snapshot of the tree for the whole request, held one included.
    let snapshot = app.snapshot();
    let route = app.routes.find(parts.uri.path()).route;
    let body = RequestBody::new(body, route.accepts().body_limit);
    let (route, mut response) = app
        .handle_parts(snapshot.clone(), &parts, body, clock_ms)
        .await;
    // A live segment still in progress: answer when it is complete, as an
    // encoder's origin would, instead of with a 404 the client must retry.
    if let Some(&HoldUntil(until_ms)) = response.extensions().get::<HoldUntil>() {
        let wait = until_ms - clock_ms;
        if (1..=MAX_HOLD_MS).contains(&wait) {
            // A millisecond more than asked: the timer may fire early by less.
            tokio::time::sleep(Duration::from_millis(wait as u64 + 1)).await;
            let clock_ms = unix_ms(SystemTime::now()).max(until_ms);
            response = app
                .handle_parts(snapshot, &parts, RequestBody::empty(), clock_ms)
                .await
                .1;
        }
    }
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let bytes = if parts.method == hyper::Method::HEAD {
        0
    } else {
        response.body().len()
    };
    app.metrics.record(route.name(), status, bytes, elapsed);
    tracing::info!(
        target: "access",
        method = %parts.method,
        path = %parts.uri,
        status,
        bytes,
        us = elapsed.as_micros() as u64,
    );
    response
}

/// The delay before the next `accept` after failures: doubling from
/// [`ACCEPT_BACKOFF_FIRST`] up to [`ACCEPT_BACKOFF_MAX`], back to none on a
/// success. Out of descriptors, `accept` fails at once every time; without
/// a delay the loop would spin a core and flood the log.
#[derive(Debug, Default)]
struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    fn failed(&mut self) -> Duration {
        let delay = match self.next {
            None => ACCEPT_BACKOFF_FIRST,
            Some(d) => (d * 2).min(ACCEPT_BACKOFF_MAX),
        };
        self.next = Some(delay);
        delay
    }

    fn succeeded(&mut self) {
        self.next = None;
    }
}

/// A stream that counts the reads and writes that moved bytes, for the
/// idle timeout: no clock is read per read or write.
struct Activity<T> {
    inner: T,
    moved: Arc<AtomicU64>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Activity<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.moved.fetch_add(1, Ordering::Relaxed);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Activity<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.moved.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.moved.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let builder = builder;
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let (stop, stopping) = watch::channel(false);
    let mut backoff = Backoff::default();
    let mut at_cap = false;
    tokio::pin!(shutdown);
    loop {
        // A permit first: over the cap, connections wait in the kernel's
        // listen backlog (their clients see a slow connect, not an error)
        // rather than each costing a descriptor here.
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => {
                at_cap = false;
                p
            }
            Err(_) => {
                if !at_cap {
                    tracing::warn!(
                        "{max} connections open, the cap (--max-connections): \
                         new connections wait until one closes"
                    );
                    at_cap = true;
                }
                tokio::select! {
                    p = permits.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    _ = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => {
                    backoff.succeeded();
                    x
                }
                Err(e) => {
                    let delay = backoff.failed();
                    tracing::warn!("accept: {e}; trying again in {} ms", delay.as_millis());
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => continue,
                        _ = &mut shutdown => break,
                    }
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let moved = Arc::new(AtomicU64::new(0));
        let io = TokioIo::new(Activity {
            inner: stream,
            moved: moved.clone(),
        });
        let app = app.clone();
        let service = service_fn(move |mut req: Request<Incoming>| {
            let app = app.clone();
            req.extensions_mut().insert(Peer(peer));
            async move { Ok::<_, Infallible>(answer(&app, req).await) }
        });
        let conn = builder.serve_connection(io, service).into_owned();
        let mut stopping = stopping.clone();
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            // Held until the connection ends: the cap counts it till then.
            let _permit = permit;
            tokio::pin!(conn);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + idle, idle);
            let mut seen = moved.load(Ordering::Relaxed);
            let mut closing = false;
            let result = loop {
                tokio::select! {
                    r = conn.as_mut() => break r,
                    _ = stopping.changed(), if !closing => {
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    _ = tick.tick() => {
                        let now = moved.load(Ordering::Relaxed);
                        if now == seen {
                            if closing {
                                tracing::debug!(%peer, "connection: idle after a graceful close; dropped");
                                return;
                            }
                            conn.as_mut().graceful_shutdown();
                            closing = true;
                        }
                        seen = now;
                    }
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, "connection: {e}");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    let _ = stop.send(true);
    // Every connection holds a permit until it ends.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still in flight after {} s; closing",
            DRAIN.as_secs()
        );
    }
    Ok(())
}

/// Loads a newer tree when `out/.dashlive/index.json` changes (looked at
/// every [`crate::trees::POLL`]) or on SIGHUP. Runs for ever.
pub async fn watch_tree(app: Arc<App>) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(crate::trees::POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        let hangup = async {
            match hup.as_mut() {
                Some(h) => {
                    h.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<()>();
        tokio::select! {
            _ = tick.tick() => {}
            _ = hangup => tracing::info!("SIGHUP: looking for a new tree"),
        }
        let app = app.clone();
        // Reading and parsing an index is blocking work.
        let _ = tokio::task::spawn_blocking(move || app.trees.reload_if_changed()).await;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};

    /// An app with an empty tree: enough for /healthz and /time.
    fn app() -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".dashlive")).unwrap();
        let index = format!(
            r#"{{"version":{},"fingerprint":"x","streams":[]}}"#,
            dashlive::index::INDEX_VERSION
        );
        std::fs::write(dir.path().join(".dashlive/index.json"), index).unwrap();
        let app = App::new(
            dir.path(),
            crate::cors::AllowedDomains::Any,
            crate::play::Players::none(),
        )
        .unwrap();
        (dir, Arc::new(app))
    }

    const LIMITS: Limits = Limits {
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        max_connections: 100,
    };

    /// Serves `app` with `limits`; the sender stops it.
    async fn start(
        app: Arc<App>,
        limits: Limits,
    ) -> (
        std::net::SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(app, listener, limits, async {
            let _ = stopped.await;
        }));
        (addr, stop, server)
    }

    /// Reads until the server closes the connection; what it sent.
    async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut all = Vec::new();
        // An hour of (paused) time: far past every timeout under test.
        tokio::time::timeout(Duration::from_secs(3600), stream.read_to_end(&mut all))
            .await
            .expect("the server closes the connection")
            .unwrap();
        all
    }

    /// Connections that send nothing, or send a head too slowly, are closed
    /// (time is paused: the timers fire as soon as nothing else can run).
    #[tokio::test(start_paused = true)]
    async fn silent_and_slow_connections_are_closed() {
        use tokio::io::AsyncWriteExt;
        let (_dir, app) = app();
        let (addr, _stop, _server) = start(app, LIMITS).await;
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        assert_eq!(read_to_close(&mut silent).await, b"");
        // Slowloris: a byte at a time, never a whole head.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        let started = tokio::time::Instant::now();
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if slow.write_all(b"X").await.is_err() {
                break;
            }
        }
        let _ = read_to_close(&mut slow).await;
        assert!(started.elapsed() < Duration::from_secs(100));
        // A keep-alive connection after its answer: closed when idle.
        let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        let text = String::from_utf8(read_to_close(&mut kept).await).unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }

    /// An HTTP/2 connection that goes quiet is closed by the idle timeout.
    #[tokio::test(start_paused = true)]
    async fn idle_http2_connections_are_closed() {
        let (_dir, app) = app();
        let (addr, _stop, _server) = start(app, LIMITS).await;
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut h2, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        let conn = tokio::spawn(conn);
        let r = h2.send_request(get("/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::timeout(Duration::from_secs(3600), conn)
            .await
            .expect("the server ends the idle connection")
            .unwrap()
            .unwrap();
    }

    /// Over the cap, a new connection waits (unanswered) until one closes.
    #[tokio::test]
    async fn connections_over_the_cap_wait_for_one_to_close() {
        use tokio::io::AsyncWriteExt;
        let (_dir, app) = app();
        let limits = Limits {
            max_connections: 1,
            ..LIMITS
        };
        let (addr, _stop, _server) = start(app, limits).await;
        let first = tokio::net::TcpStream::connect(addr).await.unwrap();
        // Let the server accept the first before the second arrives.
        let (mut h1, conn) = hyper::client::conn::http1::handshake(TokioIo::new(first))
            .await
            .unwrap();
        tokio::spawn(conn);
        assert_eq!(
            h1.send_request(get("/healthz")).await.unwrap().status(),
            200
        );
        let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
        second
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        // Not answered while the first is open (a short real wait: this can
        // only pass wrongly on a slow machine, never fail wrongly).
        let mut byte = [0u8; 1];
        let early = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::io::AsyncReadExt::read(&mut second, &mut byte),
        )
        .await;
        assert!(early.is_err(), "answered over the cap");
        drop(h1);
        let text = String::from_utf8(read_to_close(&mut second).await).unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }

    #[test]
    fn accept_failures_back_off_up_to_a_second() {
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..12).map(|_| b.failed().as_millis() as u64).collect();
        assert_eq!(
            delays,
            [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000]
        );
        b.succeeded();
        assert_eq!(b.failed(), ACCEPT_BACKOFF_FIRST);
    }

    /// An HTTP/1.1 request without Host is a 400 that says so (RFC 9112 §3.2).
    #[tokio::test]
    async fn a_request_without_host_is_400() {
        use tokio::io::AsyncWriteExt;
        let (_dir, app) = app();
        let (addr, _stop, _server) = start(app, LIMITS).await;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let text = String::from_utf8(read_to_close(&mut s).await).unwrap();
        assert!(text.starts_with("HTTP/1.1 400"), "{text}");
        assert!(
            text.ends_with("an HTTP/1.1 request needs a Host header\n"),
            "{text}"
        );
        // HTTP/1.0 needs none.
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").await.unwrap();
        let text = String::from_utf8(read_to_close(&mut s).await).unwrap();
        assert!(text.starts_with("HTTP/1.0 200"), "{text}");
    }

    fn get(path: &str) -> Request<Empty<Bytes>> {
        Request::get(path)
            .header("host", "test")
            .body(Empty::new())
            .unwrap()
    }

    #[tokio::test]
    async fn http1_keep_alive_h2c_and_a_graceful_stop() {
        let (_dir, app) = app();
        let (addr, stop, server) = start(app.clone(), LIMITS).await;

        // HTTP/1.1: two requests on one connection.
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut h1, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        for _ in 0..2 {
            let r = h1.send_request(get("/healthz")).await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(
                &r.into_body().collect().await.unwrap().to_bytes()[..],
                b"ok\n"
            );
        }

        // HTTP/2 cleartext with prior knowledge.
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut h2, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        let r = h2.send_request(get("/time/xsd")).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.version(), hyper::Version::HTTP_2);

        // Every request was counted by route and status.
        let metrics = app.metrics.render();
        assert!(
            metrics.contains(r#"dashlive_http_requests_total{route="health",status="200"} 2"#),
            "{metrics}"
        );

        // A stop signal ends the accept loop; open idle connections are closed.
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
