//! A panic in a handler is a bug, but it must not cost more than its own
//! request: it is caught, answered 500, counted in `/metrics` and logged in
//! one line by the caller (no backtrace per request: a bug that panics on
//! every request would otherwise write megabytes of stderr a second).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    /// Set while this thread polls a handler: the hook then keeps the
    /// message for [`CatchPanic`] instead of printing it.
    static IN_HANDLER: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that stays quiet for panics
/// inside a handler (their one line is logged where they are caught) and
/// leaves every other panic to the previous hook.
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_HANDLER.with(Cell::get) {
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let line = format!("{}{at}", message(info.payload()));
                LAST.with(|last| *last.borrow_mut() = Some(line));
            } else {
                previous(info);
            }
        }));
    });
}

/// The text a panic was given, on one line.
pub fn message(payload: &(dyn Any + Send)) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a panic without a message"
    };
    text.replace(['\n', '\r'], " ")
}

pin_project_lite::pin_project! {
    /// Runs a future, turning a panic while it is polled into
    /// `Err(message and place)`.
    pub struct CatchPanic<F> {
        #[pin]
        inner: F,
    }
}

impl<F> CatchPanic<F> {
    pub fn new(inner: F) -> CatchPanic<F> {
        CatchPanic { inner }
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        let was = IN_HANDLER.with(|f| f.replace(true));
        // The future is never polled again after a panic (we return Ready),
        // so whatever state it broke is never observed.
        let polled = catch_unwind(AssertUnwindSafe(|| inner.poll(cx)));
        IN_HANDLER.with(|f| f.set(was));
        match polled {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                let line = LAST
                    .with(|last| last.borrow_mut().take())
                    .unwrap_or_else(|| message(payload.as_ref()));
                Poll::Ready(Err(line))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_one_line_with_its_place() {
        install_hook();
        let ok = CatchPanic::new(async { 7 }).await;
        assert_eq!(ok, Ok(7));
        let caught = CatchPanic::new(async {
            tokio::task::yield_now().await;
            if ok.is_ok() {
                panic!("two\nlines");
            }
            0
        })
        .await
        .unwrap_err();
        assert!(caught.starts_with("two lines at "), "{caught}");
        assert!(caught.contains("panics.rs:"), "{caught}");
        assert!(!caught.contains('\n'));
    }
}
