//! The HTTP layer: accepts connections (HTTP/1.1 with keep-alive, or HTTP/2
//! cleartext, detected per connection), reads the clock once per request,
//! asks the [`App`], logs and counts the answer. Shuts down gracefully: stops
//! accepting, then lets requests in flight finish.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::app::App;
use crate::body::Body;
use crate::live::HoldUntil;
use crate::time::unix_ms;

/// How long requests in flight may take to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// The longest a request is held for a segment in progress: a segment of
/// the longest content, with room to spare.
const MAX_HOLD_MS: i64 = 30_000;

async fn answer(app: &App, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let clock_ms = unix_ms(SystemTime::now());
    let (parts, _body) = req.into_parts();
    let (route, mut response) = app.handle(&parts.method, &parts.uri, &parts.headers, clock_ms);
    // A live segment still in progress: answer when it is complete, as an
    // encoder's origin would, instead of with a 404 the client must retry.
    if let Some(&HoldUntil(until_ms)) = response.extensions().get::<HoldUntil>() {
        let wait = until_ms - clock_ms;
        if (1..=MAX_HOLD_MS).contains(&wait) {
            // A millisecond more than asked: the timer may fire early by less.
            tokio::time::sleep(Duration::from_millis(wait as u64 + 1)).await;
            let clock_ms = unix_ms(SystemTime::now()).max(until_ms);
            response = app
                .handle(&parts.method, &parts.uri, &parts.headers, clock_ms)
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

/// Serves `app` on `listener` until `shutdown` resolves.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: back off a little.
                        tracing::warn!("accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(answer(&app, req).await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, "connection: {e}");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    if tokio::time::timeout(DRAIN, graceful.shutdown())
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
            dashlive::build::index::INDEX_VERSION
        );
        std::fs::write(dir.path().join(".dashlive/index.json"), index).unwrap();
        let app = App {
            tree: crate::state::Tree::load(dir.path()).unwrap(),
            renderer: dashlive::mpd::render::Renderer::new().unwrap(),
            files: crate::static_files::StaticFiles::new(dir.path()).unwrap(),
            routes: crate::routes::Routes::new(),
            metrics: crate::metrics::Metrics::new(),
            cors: crate::cors::AllowedDomains::Any,
            players: crate::play::Players::none(),
            options_cache: dashlive::mpd::manifest::OptionsCache::new(),
        };
        (dir, Arc::new(app))
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(app.clone(), listener, async {
            let _ = stopped.await;
        }));

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
