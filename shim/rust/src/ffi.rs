//! Raw declarations mirroring `shim/include/zcshim.h` (ABI version 1, revision 2), one item per C
//! item.
//!
//! Everything here is `unsafe` to use and follows the header's rules: input pointers are borrowed
//! for the duration of a call, output objects are owned by the caller and freed with the free
//! function named beside them, `zc_last_error` belongs to the calling thread. The safe wrapper in
//! the crate root is the intended API; these are public for hosts that need something it lacks.
//!
//! C enums are `int`-sized: they are declared here as `c_int` aliases with constants, never as
//! Rust enums, so an unexpected value from the library cannot be undefined behaviour.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

/// `ZC_ABI_VERSION`: the version these declarations mirror.
pub const ZC_ABI_VERSION: u32 = 1;
/// `ZC_ABI_REVISION`: the library must be of this revision or later.
pub const ZC_ABI_REVISION: u32 = 2;

/// `zc_status`.
pub type zc_status = c_int;
pub const ZC_OK: zc_status = 0;
pub const ZC_ERR_INVALID_ARGUMENT: zc_status = 1;
pub const ZC_ERR_CACHE_UNAVAILABLE: zc_status = 2;
pub const ZC_ERR_SHUT_DOWN: zc_status = 3;
pub const ZC_ERR_CANCELLED: zc_status = 4;
pub const ZC_ERR_IO: zc_status = 5;
pub const ZC_ERR_INTERNAL: zc_status = 6;

/// `zc_audit_mode`.
pub type zc_audit_mode = c_int;
pub const ZC_AUDIT_OFF: zc_audit_mode = 0;
pub const ZC_AUDIT_SUMMARY: zc_audit_mode = 1;
pub const ZC_AUDIT_NORMAL: zc_audit_mode = 2;
pub const ZC_AUDIT_VERBOSE: zc_audit_mode = 3;

/// `zc_outcome`.
pub type zc_outcome = c_int;
pub const ZC_OUTCOME_HIT: zc_outcome = 0;
pub const ZC_OUTCOME_MISS: zc_outcome = 1;
pub const ZC_OUTCOME_UNCACHEABLE: zc_outcome = 2;
pub const ZC_OUTCOME_ERROR: zc_outcome = 3;

/// `zc_shutdown_mode`.
pub type zc_shutdown_mode = c_int;
pub const ZC_SHUTDOWN_GRACEFUL: zc_shutdown_mode = 0;
pub const ZC_SHUTDOWN_FORCE: zc_shutdown_mode = 1;

/// Opaque `zc_cancel_token`.
#[repr(C)]
pub struct zc_cancel_token {
    _private: [u8; 0],
}

/// Opaque `zc_service`.
#[repr(C)]
pub struct zc_service {
    _private: [u8; 0],
}

/// Opaque `zc_slots`.
#[repr(C)]
pub struct zc_slots {
    _private: [u8; 0],
}

/// Opaque `zc_compile_job`.
#[repr(C)]
pub struct zc_compile_job {
    _private: [u8; 0],
}

/// `zc_slots_counts`: set `struct_size` before [`zc_slots_get_counts`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct zc_slots_counts {
    pub struct_size: u32,
    pub limit: u32,
    pub host_held: u32,
    pub service_held: u32,
    pub host_waiting: u32,
    pub service_waiting: u32,
}

/// The audit sink of `zc_config`: 0 when it took the event, else it is counted as dropped.
pub type zc_audit_sink_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, line: *const c_char, len: usize) -> c_int>;
/// `zc_slot_ready_fn`.
pub type zc_slot_ready_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;
/// `zc_compile_done_fn`.
pub type zc_compile_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: zc_status,
        error: *const c_char,
        result: *mut zc_compile_result,
    ),
>;
/// `zc_flush_done_fn`.
pub type zc_flush_done_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        status: zc_status,
        error: *const c_char,
        report: *const zc_flush_report,
    ),
>;
/// `zc_done_fn`.
pub type zc_done_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, status: zc_status, error: *const c_char)>;

/// `zc_host_identity`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zc_host_identity {
    pub product: *const c_char,
    pub instance_id: *const c_char,
    pub workspace_id: *const c_char,
}

/// `zc_config`. Start from [`zc_config::init`] (`ZC_CONFIG_INIT`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zc_config {
    pub struct_size: u32,
    pub cache_root: *const c_char,
    pub max_size: u64,
    pub host: zc_host_identity,
    pub max_parallel_compiles: u32,
    /// `const volatile int32_t*`: an `AtomicI32` has the same layout.
    pub host_in_flight: *const i32,
    pub audit_mode: zc_audit_mode,
    pub audit_path: *const c_char,
    pub cancel: *mut zc_cancel_token,
    // revision 2
    pub slots: *mut zc_slots,
    pub audit_sink: zc_audit_sink_fn,
    pub audit_sink_data: *mut c_void,
}

impl zc_config {
    /// `ZC_CONFIG_INIT`.
    pub fn init() -> zc_config {
        zc_config {
            struct_size: std::mem::size_of::<zc_config>() as u32,
            cache_root: std::ptr::null(),
            max_size: 0,
            host: zc_host_identity {
                product: std::ptr::null(),
                instance_id: std::ptr::null(),
                workspace_id: std::ptr::null(),
            },
            max_parallel_compiles: 0,
            host_in_flight: std::ptr::null(),
            audit_mode: ZC_AUDIT_OFF,
            audit_path: std::ptr::null(),
            cancel: std::ptr::null_mut(),
            slots: std::ptr::null_mut(),
            audit_sink: None,
            audit_sink_data: std::ptr::null_mut(),
        }
    }
}

/// `zc_audit_context`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zc_audit_context {
    pub run_id: *const c_char,
    pub trace_id: *const c_char,
    pub parent_span_id: *const c_char,
    pub command_id: *const c_char,
    pub session_id: *const c_char,
}

/// `zc_compile_request`. Start from [`zc_compile_request::init`] (`ZC_COMPILE_REQUEST_INIT`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct zc_compile_request {
    pub struct_size: u32,
    pub compiler: *const c_char,
    pub argv: *const *const c_char,
    pub argc: usize,
    pub cwd: *const c_char,
    pub env: *const *const c_char,
    pub env_count: usize,
    pub stdin_data: *const c_char,
    pub stdin_len: usize,
    pub audit: zc_audit_context,
    pub cancel: *mut zc_cancel_token,
}

impl zc_compile_request {
    /// `ZC_COMPILE_REQUEST_INIT`.
    pub fn init() -> zc_compile_request {
        zc_compile_request {
            struct_size: std::mem::size_of::<zc_compile_request>() as u32,
            compiler: std::ptr::null(),
            argv: std::ptr::null(),
            argc: 0,
            cwd: std::ptr::null(),
            env: std::ptr::null(),
            env_count: 0,
            stdin_data: std::ptr::null(),
            stdin_len: 0,
            audit: zc_audit_context {
                run_id: std::ptr::null(),
                trace_id: std::ptr::null(),
                parent_span_id: std::ptr::null(),
                command_id: std::ptr::null(),
                session_id: std::ptr::null(),
            },
            cancel: std::ptr::null_mut(),
        }
    }
}

/// `zc_compile_result`: owned by the caller, freed with [`zc_compile_result_free`].
#[repr(C)]
#[derive(Debug)]
pub struct zc_compile_result {
    pub exit_code: i32,
    pub outcome: zc_outcome,
    pub reason: *const c_char,
    pub stdout_data: *const c_char,
    pub stdout_len: usize,
    pub stderr_data: *const c_char,
    pub stderr_len: usize,
    pub compile_id: *const c_char,
    pub queued_us: u64,
    pub total_us: u64,
}

/// `zc_output_fn`: stream 1 is stdout, 2 is stderr; `data` is valid during the call only.
pub type zc_output_fn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, stream: c_int, data: *const c_char, len: usize),
>;

/// `zc_counter`.
#[repr(C)]
#[derive(Debug)]
pub struct zc_counter {
    pub name: *const c_char,
    pub value: u64,
}

/// `zc_stats`: owned by the caller, freed with [`zc_stats_free`].
#[repr(C)]
#[derive(Debug)]
pub struct zc_stats {
    pub counters: *const zc_counter,
    pub counter_count: usize,
    pub in_flight: u64,
    pub queue_depth: u64,
    pub compiles: u64,
    pub json: *const c_char,
    // revision 2
    pub service_hits: u64,
    pub service_misses: u64,
    pub service_uncacheable: u64,
    pub service_errors: u64,
    pub service_cancelled: u64,
    pub audit_dropped: u64,
    pub slots: zc_slots_counts,
}

/// `zc_flush_report` (the whole current one: pass its size to [`zc_service_flush_ex`]).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct zc_flush_report {
    pub audit_events: u64,
    pub entries: u64,
    pub stats_synced: c_int,
    // revision 2
    pub entries_unsynced: u64,
    pub audit_dropped: u64,
}

extern "C" {
    pub fn zc_abi_version() -> u32;
    pub fn zc_abi_revision() -> u32;
    pub fn zc_status_message(status: zc_status) -> *const c_char;
    pub fn zc_last_error() -> *const c_char;

    pub fn zc_cancel_token_new(out: *mut *mut zc_cancel_token) -> zc_status;
    pub fn zc_cancel_token_trigger(token: *mut zc_cancel_token);
    pub fn zc_cancel_token_is_triggered(token: *const zc_cancel_token) -> c_int;
    pub fn zc_cancel_token_free(token: *mut zc_cancel_token);

    pub fn zc_default_parallelism() -> u32;
    pub fn zc_slots_new(limit: u32, out: *mut *mut zc_slots) -> zc_status;
    pub fn zc_slots_acquire(slots: *mut zc_slots, cancel: *mut zc_cancel_token) -> zc_status;
    pub fn zc_slots_try_acquire(slots: *mut zc_slots) -> c_int;
    pub fn zc_slots_acquire_async(
        slots: *mut zc_slots,
        on_ready: zc_slot_ready_fn,
        user_data: *mut c_void,
        ticket: *mut u64,
    ) -> zc_status;
    pub fn zc_slots_cancel_wait(slots: *mut zc_slots, ticket: u64) -> c_int;
    pub fn zc_slots_release(slots: *mut zc_slots);
    pub fn zc_slots_get_counts(slots: *const zc_slots, out: *mut zc_slots_counts) -> zc_status;
    pub fn zc_slots_free(slots: *mut zc_slots);

    pub fn zc_service_start(config: *const zc_config, out: *mut *mut zc_service) -> zc_status;
    pub fn zc_service_compile(
        service: *mut zc_service,
        request: *const zc_compile_request,
        out: *mut *mut zc_compile_result,
    ) -> zc_status;
    pub fn zc_service_compile_streaming(
        service: *mut zc_service,
        request: *const zc_compile_request,
        on_output: zc_output_fn,
        user_data: *mut c_void,
        out: *mut *mut zc_compile_result,
    ) -> zc_status;
    pub fn zc_compile_result_free(result: *mut zc_compile_result);
    pub fn zc_service_compile_async(
        service: *mut zc_service,
        request: *const zc_compile_request,
        on_done: zc_compile_done_fn,
        user_data: *mut c_void,
        job: *mut *mut zc_compile_job,
    ) -> zc_status;
    pub fn zc_compile_job_cancel(job: *mut zc_compile_job);
    pub fn zc_compile_job_release(job: *mut zc_compile_job);

    pub fn zc_service_stats(service: *mut zc_service, out: *mut *mut zc_stats) -> zc_status;
    pub fn zc_stats_free(stats: *mut zc_stats);
    pub fn zc_service_flush(service: *mut zc_service, report: *mut zc_flush_report) -> zc_status;
    pub fn zc_service_flush_ex(
        service: *mut zc_service,
        report: *mut zc_flush_report,
        report_size: usize,
    ) -> zc_status;
    pub fn zc_service_flush_async(
        service: *mut zc_service,
        on_done: zc_flush_done_fn,
        user_data: *mut c_void,
    ) -> zc_status;
    pub fn zc_service_shutdown(service: *mut zc_service, mode: zc_shutdown_mode) -> zc_status;
    pub fn zc_service_shutdown_async(
        service: *mut zc_service,
        mode: zc_shutdown_mode,
        on_done: zc_done_fn,
        user_data: *mut c_void,
    ) -> zc_status;
    pub fn zc_service_free(service: *mut zc_service);
    pub fn zc_service_release(service: *mut zc_service);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    // Sizes and offsets printed by a C program compiled against zcshim.h on x86_64/aarch64
    // Linux; a mismatch means these declarations no longer mirror the header.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn struct_layouts_match_the_header_on_64_bit() {
        fn offset<T>(base: &T, field: *const u8) -> usize {
            field as usize - base as *const T as usize
        }
        assert_eq!(size_of::<zc_config>(), 112);
        assert_eq!(size_of::<zc_compile_request>(), 120);
        assert_eq!(size_of::<zc_compile_result>(), 72);
        assert_eq!(size_of::<zc_stats>(), 120);
        assert_eq!(size_of::<zc_counter>(), 16);
        assert_eq!(size_of::<zc_flush_report>(), 40);
        assert_eq!(size_of::<zc_slots_counts>(), 24);
        assert_eq!(size_of::<zc_audit_context>(), 40);
        assert_eq!(size_of::<zc_host_identity>(), 24);
        let c = zc_config::init();
        assert_eq!(offset(&c, &c.audit_mode as *const _ as *const u8), 64);
        assert_eq!(offset(&c, &c.audit_path as *const _ as *const u8), 72);
        assert_eq!(offset(&c, &c.cancel as *const _ as *const u8), 80);
        let r = zc_compile_request::init();
        assert_eq!(offset(&r, &r.stdin_len as *const _ as *const u8), 64);
        assert_eq!(offset(&r, &r.audit as *const _ as *const u8), 72);
        assert_eq!(offset(&r, &r.cancel as *const _ as *const u8), 112);
        assert_eq!(offset(&c, &c.slots as *const _ as *const u8), 88);
        assert_eq!(c.struct_size, 112);
        assert_eq!(r.struct_size, 120);
    }

    #[test]
    fn library_speaks_the_abi_version_declared_here() {
        assert_eq!(unsafe { zc_abi_version() }, ZC_ABI_VERSION);
        assert!(unsafe { zc_abi_revision() } >= ZC_ABI_REVISION);
    }
}
