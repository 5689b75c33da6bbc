//! `CancelToken`: the host's way to stop compiles (`zc_cancel_token`).

use std::ptr::NonNull;
use std::sync::Arc;

use crate::error::{check, Error};
use crate::ffi;

/// A cancellation token: triggered once, it stays triggered. Give it to a [`crate::Config`]
/// (cancels every compile of a service) or to a [`crate::CompileRequest`] (cancels that compile):
/// a compile watching a triggered token returns a [`crate::Status::Cancelled`] error promptly,
/// its compiler processes killed, no output half written, nothing stored.
///
/// Cloning is cheap and shares the token (an `Arc`); the C token is freed when the last clone is
/// dropped. Services and requests hold clones, which keeps the token alive as long as the C
/// library may watch it. `Send + Sync`: trigger it from any thread.
#[derive(Clone, Debug)]
pub struct CancelToken {
    inner: Arc<TokenHandle>,
}

#[derive(Debug)]
struct TokenHandle(NonNull<ffi::zc_cancel_token>);

// SAFETY: the C token is an eventfd; trigger and is_triggered are thread-safe (write/poll), and
// it is freed only once, when the last Arc goes.
unsafe impl Send for TokenHandle {}
unsafe impl Sync for TokenHandle {}

impl Drop for TokenHandle {
    fn drop(&mut self) {
        // SAFETY: created by zc_cancel_token_new, freed exactly once here.
        unsafe { ffi::zc_cancel_token_free(self.0.as_ptr()) }
    }
}

impl CancelToken {
    /// A fresh, untriggered token. Fails only if the OS refuses a file descriptor.
    pub fn new() -> Result<CancelToken, Error> {
        let mut raw: *mut ffi::zc_cancel_token = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out pointer.
        check(unsafe { ffi::zc_cancel_token_new(&mut raw) })?;
        let raw = NonNull::new(raw).ok_or_else(|| {
            Error::new(crate::Status::Internal, "zc_cancel_token_new returned NULL")
        })?;
        Ok(CancelToken { inner: Arc::new(TokenHandle(raw)) })
    }

    /// Triggers the token (idempotent). Compiles watching it are cancelled.
    pub fn trigger(&self) {
        // SAFETY: the token is alive while `self` is.
        unsafe { ffi::zc_cancel_token_trigger(self.inner.0.as_ptr()) }
    }

    /// Whether the token has been triggered.
    pub fn is_triggered(&self) -> bool {
        // SAFETY: the token is alive while `self` is.
        unsafe { ffi::zc_cancel_token_is_triggered(self.inner.0.as_ptr()) != 0 }
    }

    /// The C token, for the raw API. Valid while any clone of this token lives.
    pub fn as_raw(&self) -> *mut ffi::zc_cancel_token {
        self.inner.0.as_ptr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_starts_untriggered_and_stays_triggered() {
        let token = CancelToken::new().unwrap();
        assert!(!token.is_triggered());
        token.trigger();
        assert!(token.is_triggered());
        token.trigger();
        assert!(token.is_triggered(), "a second trigger must not reset it");
    }

    #[test]
    fn clones_share_one_token_across_threads() {
        let token = CancelToken::new().unwrap();
        let other = token.clone();
        assert_eq!(token.as_raw(), other.as_raw());
        std::thread::spawn(move || other.trigger()).join().unwrap();
        assert!(token.is_triggered());
    }

    #[test]
    fn tokens_are_independent() {
        let a = CancelToken::new().unwrap();
        let b = CancelToken::new().unwrap();
        a.trigger();
        assert!(a.is_triggered());
        assert!(!b.is_triggered());
    }
}
