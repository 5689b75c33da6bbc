//! `Service`: the embedded cache (a `zc_service`), and the C conversions of requests and results.

use std::any::Any;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::asynchronous::{CompileFuture, FlushFuture, ShutdownFuture};
use crate::config::{Config, SinkFn};
use crate::error::{check, Error, Status};
use crate::ffi;
use crate::request::{CompileRequest, CompileResult, Outcome, Stream};
use crate::slots::SlotCounts;

/// How [`Service::shutdown`] stops the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShutdownMode {
    /// Refuse new compiles, let in-flight ones finish, flush. For a normal exit.
    Graceful,
    /// Refuse new compiles, cancel in-flight ones (their compilers are killed), flush for at
    /// most 2 s, return. For an aborted build.
    Force,
}

impl ShutdownMode {
    fn to_raw(self) -> ffi::zc_shutdown_mode {
        match self {
            ShutdownMode::Graceful => ffi::ZC_SHUTDOWN_GRACEFUL,
            ShutdownMode::Force => ffi::ZC_SHUTDOWN_FORCE,
        }
    }
}

/// This service's own compiles since it started, by how they ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServiceCounts {
    /// Restored from the cache.
    pub hits: u64,
    /// Compiled through the cache.
    pub misses: u64,
    /// Compiled plainly: arguments the cache cannot handle.
    pub uncacheable: u64,
    /// Compiled plainly after an internal error, or the compiler could not run.
    pub errors: u64,
    /// Cancelled (a token, a dropped future, a forced shutdown).
    pub cancelled: u64,
}

/// The cache's counters and this service's load, as [`Service::stats`] saw them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Every counter of `zcwrap --print-stats`, in its order (the cache's totals, all
    /// processes sharing the cache directory).
    pub counters: Vec<(String, u64)>,
    /// Compiles inside [`Service::compile`] now.
    pub in_flight: u64,
    /// Of those, the ones waiting for a compiler slot.
    pub queue_depth: u64,
    /// Compiles this service has finished.
    pub compiles: u64,
    /// Those compiles by outcome.
    pub service: ServiceCounts,
    /// Audit events that could not be written (a full disk, a panicking sink), since the start.
    pub audit_dropped: u64,
    /// The compiler budget this service uses (shared with the host, or its own).
    pub slots: SlotCounts,
    /// All of the above as one JSON object.
    pub json: String,
}

impl Stats {
    /// The value of the counter named `name` (as in `zcwrap --print-stats`), if there is one.
    pub fn counter(&self, name: &str) -> Option<u64> {
        self.counters.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// What [`Service::flush`] made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FlushReport {
    /// Audit events written since the previous flush, now on disk.
    pub audit_events: u64,
    /// Cache entry files this service stored since the previous flush, now fsynced (with their
    /// directories; never a whole-filesystem sync).
    pub entries: u64,
    /// Whether the counters were written back.
    pub stats_synced: bool,
    /// Entries a forced shutdown ran out of time for (the kernel still writes them back).
    pub entries_unsynced: u64,
    /// Audit events that could not be written, since the start.
    pub audit_dropped: u64,
}

impl FlushReport {
    pub(crate) fn from_raw(r: &ffi::zc_flush_report) -> FlushReport {
        FlushReport {
            audit_events: r.audit_events,
            entries: r.entries,
            stats_synced: r.stats_synced != 0,
            entries_unsynced: r.entries_unsynced,
            audit_dropped: r.audit_dropped,
        }
    }
}

/// The embedded cache: the same engine as `zcwrap`, on the same cache directory (a result stored
/// by one is a hit for the other), running compiles in this process.
///
/// Start one per cache root with [`Service::start`], share it as `Arc<Service>`: it is
/// `Send + Sync`, and `compile`, `stats` and `flush` may run from many threads at once, also
/// while another thread calls `shutdown`. The `_async` methods return futures that need no
/// runtime. Dropping the last reference never blocks: the service shuts down gracefully
/// (running compiles finish, then a flush) on a thread of its own and frees itself; await
/// [`Service::shutdown_async`] first to know when that is done.
#[derive(Debug)]
pub struct Service {
    raw: NonNull<ffi::zc_service>,
    // Keeps what the C service borrows (the host's counter and token) alive as long as it.
    config: Config,
}

// SAFETY: a zc_service is thread-safe for every call but zc_service_free, which only Drop makes
// (with exclusive access).
unsafe impl Send for Service {}
unsafe impl Sync for Service {}

/// What the C service borrows, kept alive until its background shutdown is over.
struct Release {
    raw: *mut ffi::zc_service,
    _config: Config,
}

unsafe extern "C" fn release_after_shutdown(
    user_data: *mut c_void,
    _status: ffi::zc_status,
    _error: *const c_char,
) {
    // SAFETY: the Box handed to zc_service_shutdown_async in Drop, taken back once. After the
    // shutdown nothing reaches the borrowed counter, token or sink; zc_service_release frees the
    // service on its own thread once this callback has returned.
    let release = Box::from_raw(user_data as *mut Release);
    ffi::zc_service_release(release.raw);
    drop(release);
}

impl Drop for Service {
    fn drop(&mut self) {
        let raw = self.raw.as_ptr();
        let release = Box::into_raw(Box::new(Release { raw, _config: self.config.clone() }));
        // SAFETY: the last call on this service from Rust; the callback releases it.
        let code = unsafe {
            ffi::zc_service_shutdown_async(
                raw,
                ffi::ZC_SHUTDOWN_GRACEFUL,
                Some(release_after_shutdown),
                release as *mut c_void,
            )
        };
        if code != ffi::ZC_OK {
            // No thread could be started: free here, waiting, rather than leak.
            // SAFETY: no callback will come; the Box is still ours.
            unsafe {
                ffi::zc_service_free(raw);
                drop(Box::from_raw(release));
            }
        }
    }
}

pub(crate) fn bytes_cstring(bytes: &[u8], what: &str) -> Result<CString, Error> {
    CString::new(bytes)
        .map_err(|_| Error::new(Status::InvalidArgument, format!("{what} contains a NUL byte")))
}

fn path_cstring(path: &Path, what: &str) -> Result<CString, Error> {
    bytes_cstring(path.as_os_str().as_bytes(), what)
}

fn optional_cstring(value: &Option<String>, what: &str) -> Result<Option<CString>, Error> {
    match value {
        Some(v) => bytes_cstring(v.as_bytes(), what).map(Some),
        None => Ok(None),
    }
}

fn ptr_or_null(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

/// The checks both backends make on a request, so both refuse the same ones.
pub(crate) fn validate_request(request: &CompileRequest) -> Result<(), Error> {
    if request.args.is_empty() {
        return Err(Error::new(Status::InvalidArgument, "request.args is empty"));
    }
    if !request.cwd.is_absolute() {
        return Err(Error::new(Status::InvalidArgument, "request.cwd must be an absolute path"));
    }
    if let Some(env) = &request.env {
        for (name, _) in env {
            if name.is_empty() || name.as_bytes().contains(&b'=') {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("request.env: bad variable name {name:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// A `zc_compile_request` and every buffer its pointers reach. The C strings live on the heap,
/// so the pointers stay valid when this moves.
struct RawRequest {
    raw: ffi::zc_compile_request,
    _compiler: Option<CString>,
    _cwd: CString,
    _args: Vec<CString>,
    _arg_ptrs: Vec<*const c_char>,
    _env: Vec<CString>,
    _env_ptrs: Vec<*const c_char>,
    _audit: [Option<CString>; 5],
}

impl RawRequest {
    fn new(request: &CompileRequest) -> Result<RawRequest, Error> {
        validate_request(request)?;
        let compiler = match &request.compiler {
            Some(c) => Some(bytes_cstring(c.as_bytes(), "request.compiler")?),
            None => None,
        };
        let cwd = path_cstring(&request.cwd, "request.cwd")?;
        let args = request
            .args
            .iter()
            .map(|a| bytes_cstring(a.as_bytes(), "request.args"))
            .collect::<Result<Vec<_>, _>>()?;
        let arg_ptrs: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
        let env = match &request.env {
            Some(env) => env
                .iter()
                .map(|(name, value)| {
                    let mut kv = name.as_bytes().to_vec();
                    kv.push(b'=');
                    kv.extend_from_slice(value.as_bytes());
                    bytes_cstring(&kv, "request.env")
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let env_ptrs: Vec<*const c_char> = env.iter().map(|e| e.as_ptr()).collect();
        let a = &request.audit;
        let audit = [
            optional_cstring(&a.run_id, "audit.run_id")?,
            optional_cstring(&a.trace_id, "audit.trace_id")?,
            optional_cstring(&a.parent_span_id, "audit.parent_span_id")?,
            optional_cstring(&a.command_id, "audit.command_id")?,
            optional_cstring(&a.session_id, "audit.session_id")?,
        ];

        let mut raw = ffi::zc_compile_request::init();
        raw.compiler = ptr_or_null(&compiler);
        raw.argv = arg_ptrs.as_ptr();
        raw.argc = arg_ptrs.len();
        raw.cwd = cwd.as_ptr();
        if request.env.is_some() {
            raw.env = env_ptrs.as_ptr();
            raw.env_count = env_ptrs.len();
        }
        if let Some(stdin) = &request.stdin {
            // A non-NULL pointer even for empty input: empty stdin is not /dev/null's absence.
            let data: &[u8] = if stdin.is_empty() { b"\0" } else { stdin };
            raw.stdin_data = data.as_ptr() as *const c_char;
            raw.stdin_len = stdin.len();
        }
        raw.audit = ffi::zc_audit_context {
            run_id: ptr_or_null(&audit[0]),
            trace_id: ptr_or_null(&audit[1]),
            parent_span_id: ptr_or_null(&audit[2]),
            command_id: ptr_or_null(&audit[3]),
            session_id: ptr_or_null(&audit[4]),
        };
        raw.cancel = request.cancel.as_ref().map_or(ptr::null_mut(), |t| t.as_raw());
        Ok(RawRequest {
            raw,
            _compiler: compiler,
            _cwd: cwd,
            _args: args,
            _arg_ptrs: arg_ptrs,
            _env: env,
            _env_ptrs: env_ptrs,
            _audit: audit,
        })
    }
}

unsafe fn borrowed_bytes<'a>(data: *const c_char, len: usize) -> &'a [u8] {
    if data.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(data as *const u8, len)
    }
}

pub(crate) unsafe fn borrowed_string(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        CStr::from_ptr(s).to_string_lossy().into_owned()
    }
}

/// Copies a result out of the C library and frees it.
///
/// SAFETY: `raw` is a non-NULL result from zc_service_compile*, not yet freed.
pub(crate) unsafe fn take_result(raw: *mut ffi::zc_compile_result) -> CompileResult {
    struct Free(*mut ffi::zc_compile_result);
    impl Drop for Free {
        fn drop(&mut self) {
            unsafe { ffi::zc_compile_result_free(self.0) }
        }
    }
    let _free = Free(raw);
    let r = &*raw;
    CompileResult {
        exit_code: r.exit_code,
        outcome: match r.outcome {
            ffi::ZC_OUTCOME_HIT => Outcome::Hit,
            ffi::ZC_OUTCOME_MISS => Outcome::Miss,
            ffi::ZC_OUTCOME_UNCACHEABLE => Outcome::Uncacheable,
            _ => Outcome::Error,
        },
        reason: borrowed_string(r.reason),
        stdout: borrowed_bytes(r.stdout_data, r.stdout_len).to_vec(),
        stderr: borrowed_bytes(r.stderr_data, r.stderr_len).to_vec(),
        compile_id: borrowed_string(r.compile_id),
        queued: Duration::from_micros(r.queued_us),
        total: Duration::from_micros(r.total_us),
    }
}

unsafe extern "C" fn audit_sink_trampoline(
    user_data: *mut c_void,
    line: *const c_char,
    len: usize,
) -> c_int {
    // SAFETY: user_data is the closure of the sink the service's Config keeps alive (a heap
    // address: it does not move with the Config); `line` is valid for the call.
    let sink = &*(user_data as *const SinkFn);
    let bytes = borrowed_bytes(line, len);
    let text = String::from_utf8_lossy(bytes);
    // A panicking sink loses its event (counted), never unwinds into the C library.
    match panic::catch_unwind(AssertUnwindSafe(|| sink.call(&text))) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// The Rust closure behind a zc_output_fn, and a panic it raised (re-raised after the C call).
struct OutputSink<F> {
    on_output: F,
    panic: Option<Box<dyn Any + Send + 'static>>,
}

unsafe extern "C" fn output_trampoline<F: FnMut(Stream, &[u8])>(
    user_data: *mut c_void,
    stream: c_int,
    data: *const c_char,
    len: usize,
) {
    // SAFETY: user_data is the &mut OutputSink<F> passed to zc_service_compile_streaming, which
    // calls back on the calling thread while that call runs.
    let sink = &mut *(user_data as *mut OutputSink<F>);
    if sink.panic.is_some() {
        return;
    }
    let stream = match stream {
        1 => Stream::Stdout,
        2 => Stream::Stderr,
        _ => return,
    };
    let chunk = borrowed_bytes(data, len);
    let on_output = &mut sink.on_output;
    // A panic must not unwind into C: keep it, re-raise it once the C call returned.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| on_output(stream, chunk))) {
        sink.panic = Some(payload);
    }
}

impl Service {
    /// Starts a service on `config.cache_root` (created if missing).
    ///
    /// Errors: InvalidArgument (a relative cache root, a bad identity, an audit file that cannot
    /// be opened, a NUL in a string), CacheUnavailable (the cache cannot be opened), Internal
    /// (the loaded libzcshim speaks another ABI version). The service keeps clones of
    /// `config.host_in_flight` and `config.cancel`.
    pub fn start(config: &Config) -> Result<Service, Error> {
        // SAFETY: no arguments.
        let abi = unsafe { ffi::zc_abi_version() };
        // SAFETY: no arguments.
        let revision = unsafe { ffi::zc_abi_revision() };
        if abi != ffi::ZC_ABI_VERSION || revision < ffi::ZC_ABI_REVISION {
            return Err(Error::new(
                Status::Internal,
                format!(
                    "libzcshim speaks ABI version {abi} revision {revision}, this crate needs \
                     version {} revision {} or later",
                    ffi::ZC_ABI_VERSION,
                    ffi::ZC_ABI_REVISION
                ),
            ));
        }
        let cache_root = path_cstring(&config.cache_root, "cache_root")?;
        let product = bytes_cstring(config.host.product.as_bytes(), "host.product")?;
        let instance = bytes_cstring(config.host.instance_id.as_bytes(), "host.instance_id")?;
        let workspace = bytes_cstring(config.host.workspace_id.as_bytes(), "host.workspace_id")?;
        let audit_path = match &config.audit_path {
            Some(p) => Some(path_cstring(p, "audit_path")?),
            None => None,
        };
        // The service keeps this clone: what the C library borrows (counter, token, sink) lives
        // in it, at addresses that do not move.
        let kept = config.clone();
        let config = &kept;
        let mut raw_config = ffi::zc_config::init();
        raw_config.cache_root = cache_root.as_ptr();
        raw_config.max_size = config.max_size;
        raw_config.host = ffi::zc_host_identity {
            product: product.as_ptr(),
            instance_id: instance.as_ptr(),
            workspace_id: workspace.as_ptr(),
        };
        raw_config.max_parallel_compiles = config.max_parallel_compiles;
        // AtomicI32 has the layout of an int32_t; the Arc kept in `config` outlives the service.
        raw_config.host_in_flight = config
            .host_in_flight
            .as_ref()
            .map_or(ptr::null(), |counter| &**counter as *const _ as *const i32);
        raw_config.audit_mode = config.audit_mode.to_raw();
        raw_config.audit_path = ptr_or_null(&audit_path);
        raw_config.cancel = config.cancel.as_ref().map_or(ptr::null_mut(), |t| t.as_raw());
        raw_config.slots = config.slots.as_ref().map_or(ptr::null_mut(), |s| s.as_raw());
        if let Some(sink) = &config.audit_sink {
            // The closure is on the heap, kept alive by the Config clone the service keeps.
            raw_config.audit_sink = Some(audit_sink_trampoline);
            raw_config.audit_sink_data = sink.as_ptr() as *mut c_void;
        }

        let mut raw: *mut ffi::zc_service = ptr::null_mut();
        // SAFETY: every pointer in raw_config is valid for the call; `raw` is a valid out pointer.
        check(unsafe { ffi::zc_service_start(&raw_config, &mut raw) })?;
        let raw = NonNull::new(raw)
            .ok_or_else(|| Error::new(Status::Internal, "zc_service_start returned NULL"))?;
        Ok(Service { raw, config: kept })
    }

    /// The config this service was started with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs one compile through the cache. `Ok` whatever the compiler's exit code (a compile
    /// error is `Ok` with a non-zero `exit_code`). Errors: InvalidArgument (malformed request:
    /// no args, a relative cwd, a NUL byte, a bad variable name), ShutDown (nothing ran),
    /// Cancelled (a token fired: the compiler was killed, nothing stored, no output left).
    pub fn compile(&self, request: &CompileRequest) -> Result<CompileResult, Error> {
        let raw_request = RawRequest::new(request)?;
        let mut out: *mut ffi::zc_compile_result = ptr::null_mut();
        // SAFETY: the request's buffers live in raw_request during the call.
        let code =
            unsafe { ffi::zc_service_compile(self.raw.as_ptr(), &raw_request.raw, &mut out) };
        self.finish(code, out)
    }

    /// [`Service::compile`] as a future: the compile runs on a thread of the service and the
    /// future is woken when it ends, so no executor thread blocks (no `spawn_blocking` needed).
    /// The request is copied before this returns. Dropping the future before it is ready cancels
    /// the compile (its compiler is killed, nothing stored) without waiting.
    pub fn compile_async(&self, request: &CompileRequest) -> CompileFuture {
        match RawRequest::new(request) {
            Ok(raw_request) => CompileFuture::start(self.raw.as_ptr(), &raw_request.raw),
            Err(e) => CompileFuture::failed(e),
        }
    }

    /// [`Service::flush`] as a future.
    pub fn flush_async(&self) -> FlushFuture {
        FlushFuture::start(self.raw.as_ptr())
    }

    /// [`Service::shutdown`] as a future: ready once no compile runs and the final flush is
    /// done.
    pub fn shutdown_async(&self, mode: ShutdownMode) -> ShutdownFuture {
        ShutdownFuture::start(self.raw.as_ptr(), mode.to_raw())
    }

    /// As [`Service::compile`], and `on_output` receives the compiler's output as it is
    /// produced, in order per stream (on a hit, each stream in one chunk), on the calling
    /// thread. The result still holds the whole output. A panic in `on_output` stops further
    /// calls to it and is re-raised when the compile has returned.
    pub fn compile_streaming<F>(
        &self,
        request: &CompileRequest,
        on_output: F,
    ) -> Result<CompileResult, Error>
    where
        F: FnMut(Stream, &[u8]),
    {
        let raw_request = RawRequest::new(request)?;
        let mut sink = OutputSink { on_output, panic: None };
        let mut out: *mut ffi::zc_compile_result = ptr::null_mut();
        // SAFETY: the request's buffers live in raw_request, `sink` outlives the call.
        let code = unsafe {
            ffi::zc_service_compile_streaming(
                self.raw.as_ptr(),
                &raw_request.raw,
                Some(output_trampoline::<F>),
                &mut sink as *mut OutputSink<F> as *mut c_void,
                &mut out,
            )
        };
        let result = self.finish(code, out);
        if let Some(payload) = sink.panic {
            panic::resume_unwind(payload);
        }
        result
    }

    fn finish(
        &self,
        code: ffi::zc_status,
        out: *mut ffi::zc_compile_result,
    ) -> Result<CompileResult, Error> {
        if code != ffi::ZC_OK {
            let error = Error::from_last(code);
            if !out.is_null() {
                // SAFETY: the header promises NULL on failure; free anything else anyway.
                unsafe { ffi::zc_compile_result_free(out) };
            }
            return Err(error);
        }
        if out.is_null() {
            return Err(Error::new(Status::Internal, "zc_service_compile returned no result"));
        }
        // SAFETY: a fresh result of a successful call.
        Ok(unsafe { take_result(out) })
    }

    /// The cache's counters (as `zcwrap --print-stats`) and this service's load.
    pub fn stats(&self) -> Result<Stats, Error> {
        let mut raw: *mut ffi::zc_stats = ptr::null_mut();
        // SAFETY: `raw` is a valid out pointer.
        check(unsafe { ffi::zc_service_stats(self.raw.as_ptr(), &mut raw) })?;
        if raw.is_null() {
            return Err(Error::new(Status::Internal, "zc_service_stats returned no stats"));
        }
        // SAFETY: fresh stats of a successful call, freed below once copied.
        unsafe {
            let s = &*raw;
            let counters = if s.counters.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(s.counters, s.counter_count)
            };
            let stats = Stats {
                counters: counters.iter().map(|c| (borrowed_string(c.name), c.value)).collect(),
                in_flight: s.in_flight,
                queue_depth: s.queue_depth,
                compiles: s.compiles,
                service: ServiceCounts {
                    hits: s.service_hits,
                    misses: s.service_misses,
                    uncacheable: s.service_uncacheable,
                    errors: s.service_errors,
                    cancelled: s.service_cancelled,
                },
                audit_dropped: s.audit_dropped,
                slots: SlotCounts::from_raw(&s.slots),
                json: borrowed_string(s.json),
            };
            ffi::zc_stats_free(raw);
            Ok(stats)
        }
    }

    /// Makes everything written so far durable (audit file, stored entries, counters) and says
    /// what. Call it before reading the audit file. Error: Io (something could not be synced).
    pub fn flush(&self) -> Result<FlushReport, Error> {
        let mut report = ffi::zc_flush_report::default();
        let size = std::mem::size_of::<ffi::zc_flush_report>();
        // SAFETY: `report` is a valid out struct of `size` bytes.
        check(unsafe { ffi::zc_service_flush_ex(self.raw.as_ptr(), &mut report, size) })?;
        Ok(FlushReport::from_raw(&report))
    }

    /// Stops the service: later compiles fail with ShutDown. Returns once no compile runs (see
    /// [`ShutdownMode`]). Calling it again is harmless; Force after Graceful from another thread
    /// hurries it. Error: Io (the final flush failed; the service is stopped anyway).
    pub fn shutdown(&self, mode: ShutdownMode) -> Result<(), Error> {
        // SAFETY: a live service.
        check(unsafe { ffi::zc_service_shutdown(self.raw.as_ptr(), mode.to_raw()) })
    }

    /// The C service, for the raw API. Valid while `self` lives; do not free it.
    pub fn as_raw(&self) -> *mut ffi::zc_service {
        self.raw.as_ptr()
    }
}
