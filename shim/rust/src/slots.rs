//! `Slots`: one budget of compiler slots shared by the host and its services (`zc_slots`).

use std::future::Future;
use std::os::raw::c_void;
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::cancel::CancelToken;
use crate::error::{check, Error, Status};
use crate::ffi;

/// A budget of `limit` processes shared by the host and every [`crate::Service`] started with it
/// ([`crate::Config::slots`]): together they never run more. The host holds a slot for each
/// process of its own ([`Slots::acquire`], [`Slots::acquire_async`]); a service takes one for each
/// compiler it runs (hits take none). Waiters of both sides are served first come, first served,
/// and a released slot wakes the next waiter at once. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Slots {
    inner: Arc<SlotsHandle>,
}

#[derive(Debug)]
struct SlotsHandle(NonNull<ffi::zc_slots>);

// SAFETY: every zc_slots call is thread-safe; only Drop frees it.
unsafe impl Send for SlotsHandle {}
unsafe impl Sync for SlotsHandle {}

impl Drop for SlotsHandle {
    fn drop(&mut self) {
        // SAFETY: the last reference; services keep the pool they use on their own.
        unsafe { ffi::zc_slots_free(self.0.as_ptr()) }
    }
}

/// Who holds and who waits for slots, as [`Slots::counts`] saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SlotCounts {
    /// The budget.
    pub limit: u32,
    /// Slots the host holds.
    pub host_held: u32,
    /// Slots the services' compilers hold.
    pub service_held: u32,
    /// Host waiters.
    pub host_waiting: u32,
    /// Compilers waiting.
    pub service_waiting: u32,
}

impl SlotCounts {
    pub(crate) fn from_raw(c: &ffi::zc_slots_counts) -> SlotCounts {
        SlotCounts {
            limit: c.limit,
            host_held: c.host_held,
            service_held: c.service_held,
            host_waiting: c.host_waiting,
            service_waiting: c.service_waiting,
        }
    }
}

/// The processes this process may run at once by default: its CPUs (affinity mask), capped by a
/// cgroup CPU quota, at least 1.
pub fn default_parallelism() -> u32 {
    // SAFETY: no arguments.
    unsafe { ffi::zc_default_parallelism() }
}

impl Slots {
    /// A budget of `limit` slots; 0: [`default_parallelism`].
    pub fn new(limit: u32) -> Result<Slots, Error> {
        let mut raw: *mut ffi::zc_slots = ptr::null_mut();
        // SAFETY: a valid out pointer.
        check(unsafe { ffi::zc_slots_new(limit, &mut raw) })?;
        let raw = NonNull::new(raw)
            .ok_or_else(|| Error::new(Status::Internal, "zc_slots_new returned NULL"))?;
        Ok(Slots { inner: Arc::new(SlotsHandle(raw)) })
    }

    pub(crate) fn as_raw(&self) -> *mut ffi::zc_slots {
        self.inner.0.as_ptr()
    }

    /// Blocks until a slot is the host's; it is given back when the guard drops. Error:
    /// Cancelled if `cancel` fires first (holding nothing).
    pub fn acquire(&self, cancel: Option<&CancelToken>) -> Result<SlotGuard, Error> {
        let token = cancel.map_or(ptr::null_mut(), |t| t.as_raw());
        // SAFETY: a live pool and token.
        check(unsafe { ffi::zc_slots_acquire(self.as_raw(), token) })?;
        Ok(SlotGuard { slots: self.clone() })
    }

    /// A slot now, if one is free and nobody waits for one.
    pub fn try_acquire(&self) -> Option<SlotGuard> {
        // SAFETY: a live pool.
        if unsafe { ffi::zc_slots_try_acquire(self.as_raw()) } == 1 {
            Some(SlotGuard { slots: self.clone() })
        } else {
            None
        }
    }

    /// A future of a slot: queued now (first come, first served with the services' compilers),
    /// ready when the slot is the host's. Dropping it before then withdraws the wait; a slot
    /// granted meanwhile is given back. Needs no runtime: the grant wakes the task.
    pub fn acquire_async(&self) -> SlotFuture {
        let shared = Arc::new(Mutex::new(SlotWait::Waiting(None)));
        let user_data = Arc::into_raw(shared.clone()) as *mut c_void;
        let mut ticket = 0u64;
        // SAFETY: on_ready runs exactly once unless the wait is withdrawn; it takes back the Arc.
        let code = unsafe {
            ffi::zc_slots_acquire_async(self.as_raw(), Some(slot_ready), user_data, &mut ticket)
        };
        let queued = code == ffi::ZC_OK;
        if !queued {
            // SAFETY: no callback will come: take back the reference given to it.
            drop(unsafe { Arc::from_raw(user_data as *const Mutex<SlotWait>) });
            let error = Error::from_last(code);
            *shared.lock().unwrap_or_else(|e| e.into_inner()) = SlotWait::Failed(Some(error));
        }
        SlotFuture { slots: self.clone(), shared, ticket, user_data, done: !queued }
    }

    /// Who holds and who waits now.
    pub fn counts(&self) -> SlotCounts {
        let mut raw = ffi::zc_slots_counts {
            struct_size: std::mem::size_of::<ffi::zc_slots_counts>() as u32,
            ..Default::default()
        };
        // SAFETY: a live pool, a valid out struct of the declared size.
        unsafe { ffi::zc_slots_get_counts(self.as_raw(), &mut raw) };
        SlotCounts::from_raw(&raw)
    }
}

/// A slot the host holds; given back on drop.
#[derive(Debug)]
pub struct SlotGuard {
    slots: Slots,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        // SAFETY: this guard holds one slot of this live pool.
        unsafe { ffi::zc_slots_release(self.slots.as_raw()) }
    }
}

enum SlotWait {
    Waiting(Option<Waker>),
    Granted,
    Abandoned,
    Failed(Option<Error>),
}

unsafe extern "C" fn slot_ready(user_data: *mut c_void) {
    // SAFETY: the reference given to zc_slots_acquire_async, taken back once.
    let shared = Arc::from_raw(user_data as *const Mutex<SlotWait>);
    let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
    match std::mem::replace(&mut *state, SlotWait::Granted) {
        SlotWait::Waiting(waker) => {
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
        // Dropped while the grant was on its way: the future's Drop gave the slot back.
        SlotWait::Abandoned => *state = SlotWait::Abandoned,
        other => *state = other,
    }
}

/// The future of [`Slots::acquire_async`].
pub struct SlotFuture {
    slots: Slots,
    shared: Arc<Mutex<SlotWait>>,
    ticket: u64,
    user_data: *mut c_void, // the callback's reference, taken back if the wait is withdrawn
    done: bool,
}

// SAFETY: user_data is only compared, never dereferenced, outside the callback.
unsafe impl Send for SlotFuture {}

impl Future for SlotFuture {
    type Output = Result<SlotGuard, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut state = this.shared.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *state {
            SlotWait::Granted => {
                *state = SlotWait::Abandoned; // handed out: Drop has nothing to give back
                this.done = true;
                Poll::Ready(Ok(SlotGuard { slots: this.slots.clone() }))
            }
            SlotWait::Failed(error) => {
                Poll::Ready(Err(error
                    .take()
                    .unwrap_or_else(|| Error::new(Status::Internal, "slot future polled again"))))
            }
            SlotWait::Waiting(waker) => {
                *waker = Some(cx.waker().clone());
                Poll::Pending
            }
            SlotWait::Abandoned => {
                Poll::Ready(Err(Error::new(Status::Internal, "slot future polled after completion")))
            }
        }
    }
}

impl Drop for SlotFuture {
    fn drop(&mut self) {
        // Done: the guard was handed out, or the wait never queued (nothing to withdraw).
        if self.done {
            return;
        }
        // SAFETY: a live pool; the ticket is this future's.
        if unsafe { ffi::zc_slots_cancel_wait(self.slots.as_raw(), self.ticket) } == 1 {
            // Withdrawn: the callback never runs, so its reference is ours to drop.
            // SAFETY: the reference given to zc_slots_acquire_async.
            drop(unsafe { Arc::from_raw(self.user_data as *const Mutex<SlotWait>) });
            return;
        }
        // Granted (the callback ran, or runs now and holds the reference): the slot is ours.
        // zc_slots_cancel_wait returning 0 means the grant happened, so give it back.
        let mut state = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        *state = SlotWait::Abandoned;
        drop(state);
        // SAFETY: the slot granted to this wait.
        unsafe { ffi::zc_slots_release(self.slots.as_raw()) }
    }
}
