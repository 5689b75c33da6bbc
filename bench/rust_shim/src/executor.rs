//! A minimal executor: polls one future on the calling thread and sleeps on a condition variable
//! until its waker fires. No runtime crate: what a host's executor does at the least, so the
//! figure for `compile_async` is the future's own cost (a callback on a service thread, a wake-up
//! of this thread), not a runtime's.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

struct Signal {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_one();
    }
}

/// One thread's executor, reused for every future it runs (one allocation for the waker).
pub struct Executor {
    signal: Arc<Signal>,
    waker: Waker,
}

impl Executor {
    pub fn new() -> Executor {
        let signal = Arc::new(Signal { woken: Mutex::new(false), cv: Condvar::new() });
        let waker = Waker::from(signal.clone());
        Executor { signal, waker }
    }

    /// Polls `future` until it is ready, sleeping until woken in between.
    pub fn block_on<F: Future + Unpin>(&self, mut future: F) -> F::Output {
        let mut cx = Context::from_waker(&self.waker);
        loop {
            if let Poll::Ready(value) = Pin::new(&mut future).poll(&mut cx) {
                // A wake that raced with the last poll must not end the next future's first wait.
                *self.signal.woken.lock().unwrap_or_else(|e| e.into_inner()) = false;
                return value;
            }
            let mut woken = self.signal.woken.lock().unwrap_or_else(|e| e.into_inner());
            while !*woken {
                woken = self.signal.cv.wait(woken).unwrap_or_else(|e| e.into_inner());
            }
            *woken = false;
        }
    }
}
