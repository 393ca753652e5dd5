//! The one response body type: a few `Bytes` chunks, already in memory (or
//! memory-mapped), so a patched live segment is its small rewritten head
//! followed by the untouched tail without copying the tail. One variant
//! streams instead: chunks arrive over a channel ([`Body::channel`]), for
//! the validator page's server-sent events.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt;
use hyper::body::{Frame, SizeHint};

#[derive(Debug, Default)]
pub struct Body {
    chunks: VecDeque<Bytes>,
    remaining: u64,
    /// After `chunks`: whatever the sender sends, until it is dropped.
    stream: Option<tokio::sync::mpsc::Receiver<Bytes>>,
}

impl Body {
    pub fn empty() -> Body {
        Body::default()
    }

    pub fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Body {
        let chunks: VecDeque<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Body {
            chunks,
            remaining,
            stream: None,
        }
    }

    /// A body of unknown length streamed from the channel's sender; it
    /// ends when the sender is dropped. A send failing means the client
    /// went away (hyper dropped the body).
    pub fn channel(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Body {
        Body {
            stream: Some(rx),
            ..Body::default()
        }
    }

    /// The bytes known now (a streamed body's are counted as none).
    pub fn len(&self) -> u64 {
        self.remaining
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::from_chunks([b])
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Body {
        Body::from(Bytes::from(v))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(chunk) = self.chunks.pop_front() {
            self.remaining -= chunk.len() as u64;
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        match self.stream.as_mut() {
            Some(rx) => rx.poll_recv(cx).map(|c| c.map(|c| Ok(Frame::data(c)))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty() && self.stream.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.stream {
            Some(_) => SizeHint::default(),
            None => SizeHint::with_exact(self.remaining),
        }
    }
}

/// A request body's error, boxed: hyper's, or a test body's.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

// Read by the routes of the next issues (licences, uploads); only the
// tests' routes read bodies yet.
#[cfg_attr(not(test), allow(dead_code))]
/// What a handler gets of the request body: streamed, and cut off at the
/// route's limit ([`crate::routes::Accepts::body_limit`]).
///
/// (Counted here rather than with `http_body_util::Limited`, whose
/// `Into<BoxError>` bound makes the handlers' futures fail the `Send`
/// check the server needs.)
pub struct RequestBody {
    inner: UnsyncBoxBody<Bytes, BoxError>,
    limit: u64,
    received: u64,
}

/// Why a request body could not be read.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is over this URL's limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the request body could not be read: {0}")]
    Read(BoxError),
}

#[cfg_attr(not(test), allow(dead_code))]
impl BodyError {
    /// 413 for a body over the limit, 400 for one that broke off.
    pub fn status(&self) -> hyper::StatusCode {
        match self {
            BodyError::TooLarge { .. } => hyper::StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Read(_) => hyper::StatusCode::BAD_REQUEST,
        }
    }
}

#[cfg_attr(not(test), allow(dead_code))]
impl RequestBody {
    pub fn new<B>(body: B, limit: u64) -> RequestBody
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        RequestBody {
            inner: UnsyncBoxBody::new(body.map_err(Into::into)),
            limit,
            received: 0,
        }
    }

    /// The same body under a lower limit (the origin's own upload cap).
    pub fn with_limit(mut self, limit: u64) -> RequestBody {
        self.limit = self.limit.min(limit);
        self
    }

    /// No body (a held request asked again).
    pub fn empty() -> RequestBody {
        RequestBody::new(http_body_util::Empty::<Bytes>::new(), 0)
    }

    /// The next chunk of data, as it arrives; `None` at the end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        loop {
            let frame = match self.inner.frame().await? {
                Ok(frame) => frame,
                Err(e) => return Some(Err(BodyError::Read(e))),
            };
            // Trailers are skipped: nothing a handler uses.
            if let Ok(data) = frame.into_data() {
                self.received = self.received.saturating_add(data.len() as u64);
                if self.received > self.limit {
                    return Some(Err(BodyError::TooLarge { limit: self.limit }));
                }
                return Some(Ok(data));
            }
        }
    }

    /// The whole body, at most `limit` bytes.
    pub async fn bytes(mut self) -> Result<Bytes, BodyError> {
        let mut all = bytes::BytesMut::new();
        while let Some(chunk) = self.chunk().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_arrive_in_order_with_an_exact_length() {
        let body = Body::from_chunks([
            Bytes::from_static(b"ab"),
            Bytes::new(),
            Bytes::from_static(b"cde"),
        ]);
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), Some(5));
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"abcde");
    }

    #[tokio::test]
    async fn a_channel_body_streams_until_its_sender_is_dropped() {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        let body = Body::channel(rx);
        assert_eq!(hyper::body::Body::size_hint(&body).exact(), None);
        tokio::spawn(async move {
            for c in ["a", "bc", "d"] {
                tx.send(Bytes::from_static(c.as_bytes())).await.unwrap();
            }
        });
        let all = body.collect().await.unwrap().to_bytes();
        assert_eq!(&all[..], b"abcd");
        // The receiver dropped: the sender learns the client left.
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        drop(Body::channel(rx));
        assert!(tx.send(Bytes::from_static(b"x")).await.is_err());
    }

    #[tokio::test]
    async fn a_request_body_is_cut_at_its_limit() {
        let small = RequestBody::new(http_body_util::Full::new(Bytes::from_static(b"12345")), 5);
        assert_eq!(&small.bytes().await.unwrap()[..], b"12345");
        let big = RequestBody::new(http_body_util::Full::new(Bytes::from_static(b"123456")), 5);
        let e = big.bytes().await.unwrap_err();
        assert_eq!(e.status(), hyper::StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            e.to_string(),
            "the request body is over this URL's limit of 5 bytes"
        );
        let mut streamed =
            RequestBody::new(http_body_util::Full::new(Bytes::from_static(b"123456")), 5);
        assert!(matches!(
            streamed.chunk().await,
            Some(Err(BodyError::TooLarge { limit: 5 }))
        ));
        let mut empty = RequestBody::empty();
        assert!(empty.chunk().await.is_none());
    }
}
