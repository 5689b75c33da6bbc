//! `Status` (the C library's `zc_status` codes) and `Error` (a status and its detail).

use std::ffi::CStr;
use std::fmt;

use crate::ffi;

/// Why a call failed: one per non-OK `zc_status`, plus `Unknown` for a code this crate does not
/// know (a newer library). The wrapped backend uses the same codes for its own failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A malformed argument or a bad config value (`ZC_ERR_INVALID_ARGUMENT`).
    InvalidArgument,
    /// The cache root cannot be created or opened (`ZC_ERR_CACHE_UNAVAILABLE`).
    CacheUnavailable,
    /// The service is shutting down or shut down; nothing ran (`ZC_ERR_SHUT_DOWN`).
    ShutDown,
    /// The compile was cancelled and its compiler killed (`ZC_ERR_CANCELLED`).
    Cancelled,
    /// An input/output failure: flush could not make an output durable, or (wrapped backend)
    /// `zcwrap` could not be run (`ZC_ERR_IO`).
    Io,
    /// A bug caught at the library boundary, out of memory included (`ZC_ERR_INTERNAL`).
    Internal,
    /// A status code this crate does not know.
    Unknown(i32),
}

impl Status {
    /// The status for a non-OK C code.
    pub fn from_code(code: i32) -> Status {
        match code {
            ffi::ZC_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            ffi::ZC_ERR_CACHE_UNAVAILABLE => Status::CacheUnavailable,
            ffi::ZC_ERR_SHUT_DOWN => Status::ShutDown,
            ffi::ZC_ERR_CANCELLED => Status::Cancelled,
            ffi::ZC_ERR_IO => Status::Io,
            ffi::ZC_ERR_INTERNAL => Status::Internal,
            other => Status::Unknown(other),
        }
    }

    /// The C code of this status.
    pub fn code(self) -> i32 {
        match self {
            Status::InvalidArgument => ffi::ZC_ERR_INVALID_ARGUMENT,
            Status::CacheUnavailable => ffi::ZC_ERR_CACHE_UNAVAILABLE,
            Status::ShutDown => ffi::ZC_ERR_SHUT_DOWN,
            Status::Cancelled => ffi::ZC_ERR_CANCELLED,
            Status::Io => ffi::ZC_ERR_IO,
            Status::Internal => ffi::ZC_ERR_INTERNAL,
            Status::Unknown(code) => code,
        }
    }

    /// The library's name for this status (`zc_status_message`), e.g. "compile cancelled".
    pub fn message(self) -> &'static str {
        // SAFETY: zc_status_message returns a static NUL-terminated string for every value.
        let text = unsafe { CStr::from_ptr(ffi::zc_status_message(self.code())) };
        text.to_str().unwrap_or("unknown status code")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A failed call: its status and a detail message (the library's `zc_last_error`, or the wrapped
/// backend's own words). Displays as "status message: detail".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub status: Status,
    /// The detail; may be empty.
    pub message: String,
}

impl Error {
    /// An error with the given status and detail.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error of a failed C call, with the calling thread's `zc_last_error`. Call it on the
    /// thread that made the failing call, before any other `zc_` call.
    pub(crate) fn from_last(code: ffi::zc_status) -> Error {
        // SAFETY: zc_last_error never returns NULL; the string stays valid until this thread's
        // next zc_ call, and it is copied before that.
        let detail = unsafe { CStr::from_ptr(ffi::zc_last_error()) };
        Error::new(Status::from_code(code), detail.to_string_lossy().into_owned())
    }

    /// Whether this is a cancellation (the compile was cancelled, its compiler killed).
    pub fn is_cancelled(&self) -> bool {
        self.status == Status::Cancelled
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.status)
        } else {
            write!(f, "{}: {}", self.status, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// `Ok(())` for `ZC_OK`, else the error with the thread's last detail.
pub(crate) fn check(code: ffi::zc_status) -> Result<(), Error> {
    if code == ffi::ZC_OK {
        Ok(())
    } else {
        Err(Error::from_last(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_code_and_has_a_message() {
        let all = [
            Status::InvalidArgument,
            Status::CacheUnavailable,
            Status::ShutDown,
            Status::Cancelled,
            Status::Io,
            Status::Internal,
        ];
        for status in all {
            assert_eq!(Status::from_code(status.code()), status);
            assert_ne!(status.message(), "unknown status code", "{status:?}");
            assert!(!status.message().is_empty());
        }
        assert_eq!(Status::Cancelled.message(), "compile cancelled");
        assert_eq!(Status::ShutDown.message(), "service is shut down");
    }

    #[test]
    fn unknown_codes_survive_and_are_named_by_the_library() {
        assert_eq!(Status::from_code(99), Status::Unknown(99));
        assert_eq!(Status::Unknown(99).code(), 99);
        assert_eq!(Status::Unknown(99).message(), "unknown status code");
    }

    #[test]
    fn error_displays_status_then_detail() {
        let e = Error::new(Status::InvalidArgument, "host.product must be 1 to 64 characters");
        assert_eq!(e.to_string(), "invalid argument: host.product must be 1 to 64 characters");
        assert_eq!(Error::new(Status::Io, "").to_string(), "input/output error");
        assert!(Error::new(Status::Cancelled, "x").is_cancelled());
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("invalid argument"));
    }
}
