//! Futures over the C library's async calls: a compile, a flush, a shutdown. No runtime crate:
//! the library's callback (on a thread of the service) stores the output and wakes the task, so
//! any executor works, Tokio's included, without `spawn_blocking`.

use std::future::Future;
use std::os::raw::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::error::{Error, Status};
use crate::ffi;
use crate::request::CompileResult;
use crate::service::{borrowed_string, take_result, FlushReport};

enum State<T> {
    Pending(Option<Waker>),
    Done(Result<T, Error>),
    Taken,
}

/// Where a callback leaves its output for the future. One reference is given to the C library
/// (as user_data) and taken back by the callback.
struct Completion<T> {
    state: Mutex<State<T>>,
}

impl<T> Completion<T> {
    fn new() -> Arc<Completion<T>> {
        Arc::new(Completion { state: Mutex::new(State::Pending(None)) })
    }

    fn done(value: Result<T, Error>) -> Arc<Completion<T>> {
        Arc::new(Completion { state: Mutex::new(State::Done(value)) })
    }

    fn complete(&self, value: Result<T, Error>) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::replace(&mut *state, State::Done(value)) {
                State::Pending(waker) => waker,
                _ => None,
            }
        };
        if let Some(waker) = waker {
            // A panic in the executor's waker must not unwind into the C library.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| waker.wake()));
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *state, State::Taken) {
            State::Done(value) => Poll::Ready(value),
            State::Pending(_) => {
                *state = State::Pending(Some(cx.waker().clone()));
                Poll::Pending
            }
            State::Taken => {
                Poll::Ready(Err(Error::new(Status::Internal, "future polled after completion")))
            }
        }
    }

    fn is_done(&self) -> bool {
        !matches!(*self.state.lock().unwrap_or_else(|e| e.into_inner()), State::Pending(_))
    }

    /// The reference handed to the C library.
    fn into_user_data(this: &Arc<Completion<T>>) -> *mut c_void {
        Arc::into_raw(this.clone()) as *mut c_void
    }

    /// Takes back the reference handed to the C library.
    ///
    /// SAFETY: `user_data` came from into_user_data for this T, and is taken back once.
    unsafe fn from_user_data(user_data: *mut c_void) -> Arc<Completion<T>> {
        Arc::from_raw(user_data as *const Completion<T>)
    }
}

fn error_of(status: ffi::zc_status, error: *const c_char) -> Error {
    // SAFETY: `error` is NULL or a NUL-terminated string valid during the callback.
    Error::new(Status::from_code(status), unsafe { borrowed_string(error) })
}

/// A compile running on a thread of the service ([`crate::Service::compile_async`]). Its output
/// is what [`crate::Service::compile`] returns. Dropping it before it is ready cancels the
/// compile: its compiler is killed, nothing is stored, and the drop does not wait.
pub struct CompileFuture {
    completion: Arc<Completion<CompileResult>>,
    job: *mut ffi::zc_compile_job,
}

// SAFETY: a zc_compile_job may be cancelled and released from any thread.
unsafe impl Send for CompileFuture {}

unsafe extern "C" fn compile_done(
    user_data: *mut c_void,
    status: ffi::zc_status,
    error: *const c_char,
    result: *mut ffi::zc_compile_result,
) {
    let completion = Completion::<CompileResult>::from_user_data(user_data);
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let value = if status == ffi::ZC_OK && !result.is_null() {
            // SAFETY: a fresh result handed to this callback to own.
            Ok(take_result(result))
        } else {
            if !result.is_null() {
                ffi::zc_compile_result_free(result);
            }
            Err(error_of(status, error))
        };
        completion.complete(value);
    }));
}

impl CompileFuture {
    /// Starts `request` on `service`; the C library copies the request before returning.
    pub(crate) fn start(
        service: *mut ffi::zc_service,
        request: &ffi::zc_compile_request,
    ) -> CompileFuture {
        let completion = Completion::new();
        let user_data = Completion::into_user_data(&completion);
        let mut job: *mut ffi::zc_compile_job = ptr::null_mut();
        // SAFETY: the request's buffers are valid for the call; on ZC_OK the callback comes
        // exactly once and takes back user_data.
        let code = unsafe {
            ffi::zc_service_compile_async(service, request, Some(compile_done), user_data, &mut job)
        };
        if code != ffi::ZC_OK {
            let error = Error::from_last(code);
            // SAFETY: no callback will come.
            drop(unsafe { Completion::<CompileResult>::from_user_data(user_data) });
            return CompileFuture::failed(error);
        }
        CompileFuture { completion, job }
    }

    pub(crate) fn failed(error: Error) -> CompileFuture {
        CompileFuture { completion: Completion::done(Err(error)), job: ptr::null_mut() }
    }
}

impl Future for CompileFuture {
    type Output = Result<CompileResult, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.completion.poll(cx)
    }
}

impl Drop for CompileFuture {
    fn drop(&mut self) {
        if self.job.is_null() {
            return;
        }
        // SAFETY: this future's handle, released once. Cancelling a finished job is harmless.
        unsafe {
            if !self.completion.is_done() {
                ffi::zc_compile_job_cancel(self.job);
            }
            ffi::zc_compile_job_release(self.job);
        }
    }
}

/// A flush running on a thread of the service ([`crate::Service::flush_async`]). Dropping it
/// does not stop the flush.
pub struct FlushFuture {
    completion: Arc<Completion<FlushReport>>,
}

unsafe extern "C" fn flush_done(
    user_data: *mut c_void,
    status: ffi::zc_status,
    error: *const c_char,
    report: *const ffi::zc_flush_report,
) {
    let completion = Completion::<FlushReport>::from_user_data(user_data);
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let value = if status == ffi::ZC_OK && !report.is_null() {
            // SAFETY: valid during the callback.
            Ok(FlushReport::from_raw(&*report))
        } else {
            Err(error_of(status, error))
        };
        completion.complete(value);
    }));
}

impl FlushFuture {
    pub(crate) fn start(service: *mut ffi::zc_service) -> FlushFuture {
        let completion = Completion::new();
        let user_data = Completion::into_user_data(&completion);
        // SAFETY: on ZC_OK the callback comes exactly once and takes back user_data.
        let code = unsafe { ffi::zc_service_flush_async(service, Some(flush_done), user_data) };
        if code != ffi::ZC_OK {
            let error = Error::from_last(code);
            // SAFETY: no callback will come.
            drop(unsafe { Completion::<FlushReport>::from_user_data(user_data) });
            return FlushFuture { completion: Completion::done(Err(error)) };
        }
        FlushFuture { completion }
    }
}

impl Future for FlushFuture {
    type Output = Result<FlushReport, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.completion.poll(cx)
    }
}

/// A shutdown running on a thread of the service ([`crate::Service::shutdown_async`]). Dropping
/// it does not stop the shutdown.
pub struct ShutdownFuture {
    completion: Arc<Completion<()>>,
}

unsafe extern "C" fn shutdown_done(
    user_data: *mut c_void,
    status: ffi::zc_status,
    error: *const c_char,
) {
    let completion = Completion::<()>::from_user_data(user_data);
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        completion.complete(if status == ffi::ZC_OK { Ok(()) } else { Err(error_of(status, error)) });
    }));
}

impl ShutdownFuture {
    pub(crate) fn start(service: *mut ffi::zc_service, mode: ffi::zc_shutdown_mode) -> ShutdownFuture {
        let completion = Completion::new();
        let user_data = Completion::into_user_data(&completion);
        // SAFETY: on ZC_OK the callback comes exactly once and takes back user_data.
        let code =
            unsafe { ffi::zc_service_shutdown_async(service, mode, Some(shutdown_done), user_data) };
        if code != ffi::ZC_OK {
            let error = Error::from_last(code);
            // SAFETY: no callback will come.
            drop(unsafe { Completion::<()>::from_user_data(user_data) });
            return ShutdownFuture { completion: Completion::done(Err(error)) };
        }
        ShutdownFuture { completion }
    }
}

impl Future for ShutdownFuture {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.completion.poll(cx)
    }
}
