//! zcwrap's compiler cache for Rust hosts (build tools): in-process through `libzcshim`'s C ABI
//! ([`Service`]), or through the `zcwrap` CLI ([`WrappedZcwrap`]), behind one
//! [`CompileBackend::compile`] call. Both run the same engine on the same cache directory: a result
//! stored by one is a hit for the other, with byte-identical outputs (`tests/parity.rs`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use zcshim::{CompileBackend, CompileRequest, Config, HostIdentity, Service, ShutdownMode};
//!
//! # fn main() -> Result<(), zcshim::Error> {
//! let host = HostIdentity::new("soldr", "main", "ws-1234");
//! let config = Config::new("/home/me/.cache/soldr/zcwrap", host);
//! let service = Arc::new(Service::start(&config)?);          // once, at host start-up
//! let backend = CompileBackend::Embedded(service.clone());   // or CompileBackend::from_env()
//!
//! let mut request = CompileRequest::new(["gcc", "-c", "hello.c", "-o", "hello.o"], "/src");
//! request.audit.run_id = Some("run-42".to_string());        // the host's ids reach the audit log
//! let result = backend.compile(&request)?;                  // from any number of threads
//! println!("{} ({}), exit {}", result.outcome, result.reason, result.exit_code);
//!
//! service.flush()?;                                         // before reading audit/stats files
//! service.shutdown(ShutdownMode::Graceful)?;                // Force on an aborted build
//! # Ok(())
//! # }
//! ```
//!
//! Ownership: every type here owns its data; the C objects (service, token, results) are freed
//! by `Drop`, and the C library's borrowed inputs (the host's in-flight counter, tokens) are kept
//! alive by clones held in the [`Service`]. Thread-safety: [`Service`], [`CancelToken`] and
//! [`CompileBackend`] are `Send + Sync`.
//!
//! Building: `build.rs` finds `libzcshim` with `pkg-config zcshim` (for an uninstalled Meson build,
//! `PKG_CONFIG_PATH=<build dir>/meson-uninstalled`) and records an rpath to it. The crate has no
//! dependencies and builds with rustc 1.63.

#![warn(missing_docs)]

// The C library and this crate's process handling are Linux-only today (docs/portability.md has
// the plan for macOS and Windows): say so, rather than fail on `std::os::unix` below.
#[cfg(not(unix))]
compile_error!(
    "zcshim supports Linux only for now; macOS and Windows are designed in docs/portability.md"
);

#[cfg(unix)]
mod asynchronous;
#[cfg(unix)]
mod audit_line;
#[cfg(unix)]
mod backend;
#[cfg(unix)]
mod cancel;
#[cfg(unix)]
mod config;
#[cfg(unix)]
mod error;
#[allow(missing_docs)] // mirrors zcshim.h item for item; the header documents each
#[cfg(unix)]
pub mod ffi;
#[cfg(unix)]
mod request;
#[cfg(unix)]
mod service;
#[cfg(unix)]
mod slots;

#[cfg(unix)]
pub use asynchronous::{CompileFuture, FlushFuture, ShutdownFuture};
#[cfg(unix)]
pub use backend::{CompileBackend, WrappedZcwrap};
#[cfg(unix)]
pub use cancel::CancelToken;
#[cfg(unix)]
pub use config::{AuditMode, AuditSink, Config, HostIdentity};
#[cfg(unix)]
pub use error::{Error, Status};
#[cfg(unix)]
pub use request::{AuditContext, CompileRequest, CompileResult, Outcome, Stream};
#[cfg(unix)]
pub use service::{FlushReport, Service, ServiceCounts, ShutdownMode, Stats};
#[cfg(unix)]
pub use slots::{default_parallelism, SlotCounts, SlotFuture, SlotGuard, Slots};

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard};
    use std::time::{Duration, Instant};

    /// Tests that start services (the C library reads the environment) or change the
    /// environment take this lock, so no test reads the environment while another writes it.
    static ENV_LOCK: Mutex<()> = Mutex::new(());

    fn env_lock() -> MutexGuard<'static, ()> {
        ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> TempDir {
            static SEQ: AtomicU64 = AtomicU64::new(0);
            let dir = std::env::temp_dir().join(format!(
                "zcshim-unit-{name}-{}-{}",
                std::process::id(),
                SEQ.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn identity() -> HostIdentity {
        HostIdentity::new("zcshim-test", "unit", "ws")
    }

    /// Writes a source, then waits out the kernel's timestamp tick: a file changed in the tick
    /// a compile starts counts as modified during the compile, and its result is not stored.
    fn write_source(dir: &Path, name: &str, text: &str) {
        fs::write(dir.join(name), text).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }

    #[test]
    fn start_refuses_a_bad_identity_with_the_libraries_message() {
        let _env = env_lock();
        let dir = TempDir::new("identity");
        let bad = HostIdentity::new("soldr", "main", "a b");
        let config = Config::new(dir.path().join("cache"), bad);
        let e = Service::start(&config).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("host.workspace_id"), "{e}");
        assert!(e.to_string().starts_with("invalid argument: "), "{e}");
        let empty = Config::new(dir.path().join("cache"), HostIdentity::new("", "main", "ws"));
        assert!(Service::start(&empty).unwrap_err().message.contains("host.product"));
    }

    #[test]
    fn start_refuses_a_relative_root_and_a_nul_byte() {
        let _env = env_lock();
        let e = Service::start(&Config::new("relative/cache", identity())).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("cache_root"), "{e}");
        let e = Service::start(&Config::new("/tmp/a\0b", identity())).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("NUL"), "{e}");
    }

    #[test]
    fn service_compiles_miss_then_hit_and_counts_them() {
        let _env = env_lock();
        let dir = TempDir::new("service");
        write_source(dir.path(), "a.c", "int f(void) { int unused; return 1; }\n");
        let service = Service::start(&Config::new(dir.path().join("cache"), identity())).unwrap();
        let request = CompileRequest::new(["gcc", "-Wall", "-c", "a.c", "-o", "a.o"], dir.path());

        let first = service.compile(&request).unwrap();
        assert_eq!((first.outcome, first.exit_code), (Outcome::Miss, 0), "{first:?}");
        assert!(String::from_utf8_lossy(&first.stderr).contains("unused"), "{first:?}");
        assert!(!first.compile_id.is_empty());
        let object = fs::read(dir.path().join("a.o")).unwrap();
        fs::remove_file(dir.path().join("a.o")).unwrap();

        let second = service.compile(&request).unwrap();
        assert_eq!(second.outcome, Outcome::Hit, "{second:?}");
        assert_eq!(second.reason, "direct_cache_hit");
        assert_eq!(second.stderr, first.stderr);
        assert_ne!(second.compile_id, first.compile_id);
        assert_eq!(fs::read(dir.path().join("a.o")).unwrap(), object);

        let stats = service.stats().unwrap();
        assert_eq!(stats.compiles, 2);
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.counter("direct_cache_hit"), Some(1), "{:?}", stats.counters);
        assert!(stats.json.contains("\"compiles\":2"), "{}", stats.json);
        let report = service.flush().unwrap();
        assert!(report.stats_synced);
        // The result and its manifest (at least), each fsynced.
        assert!(report.entries >= 2, "{report:?}");
        assert_eq!(service.flush().unwrap().entries, 0, "a second flush has nothing new");

        service.shutdown(ShutdownMode::Graceful).unwrap();
        let e = service.compile(&request).unwrap_err();
        assert_eq!(e.status, Status::ShutDown, "{e}");
        service.shutdown(ShutdownMode::Force).unwrap();
    }

    #[test]
    fn the_audit_sink_gets_every_event_and_a_panic_in_it_is_counted() {
        let _env = env_lock();
        let dir = TempDir::new("sink");
        write_source(dir.path(), "a.c", "int f(void) { return 1; }\n");
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = lines.clone();
        let mut config = Config::new(dir.path().join("cache"), identity());
        config.audit_mode = AuditMode::Normal;
        config.audit_sink = Some(AuditSink::new(move |line| {
            if line.contains("\"event\":\"cache.store\"") {
                panic!("a sink that panics loses its event, nothing else");
            }
            seen.lock().unwrap().push(line.to_string());
        }));
        // Moved after start: the library must not hold the address of anything in `service`.
        let service = Box::new(Service::start(&config).unwrap());
        drop(config);
        let mut request = CompileRequest::new(["gcc", "-c", "a.c", "-o", "a.o"], dir.path());
        request.audit.run_id = Some("run-sink".to_string());
        assert_eq!(service.compile(&request).unwrap().outcome, Outcome::Miss);
        let stats = service.stats().unwrap();
        assert_eq!(stats.audit_dropped, 1, "the panicking store event");
        assert_eq!(stats.service.misses, 1);
        drop(service); // never blocks; the final events still reach the sink
        let deadline = Instant::now() + Duration::from_secs(30);
        while !lines.lock().unwrap().iter().any(|l| l.contains("\"event\":\"service.shutdown\"")) {
            assert!(Instant::now() < deadline, "no service.shutdown event");
            std::thread::sleep(Duration::from_millis(10));
        }
        let lines = lines.lock().unwrap();
        let events: Vec<&str> = lines
            .iter()
            .map(|l| {
                let at = l.find("\"event\":\"").unwrap() + 9;
                &l[at..at + l[at..].find('"').unwrap()]
            })
            .collect();
        assert_eq!(
            &events[..5],
            ["service.started", "compile.started", "cache.miss", "compile.finished", "service.shutdown"]
        );
        assert!(lines[1].contains("\"run_id\":\"run-sink\""), "{}", lines[1]);
        assert!(lines[3].contains("\"queued_us\":"), "{}", lines[3]);
        assert!(!dir.path().join("cache/audit").exists(), "a sink and no audit_path: no file");
    }

    #[test]
    fn streaming_delivers_the_same_output_as_the_result() {
        let _env = env_lock();
        let dir = TempDir::new("stream");
        write_source(dir.path(), "w.c", "int g(void) { int unused; return 2; }\n");
        let service = Service::start(&Config::new(dir.path().join("cache"), identity())).unwrap();
        let request = CompileRequest::new(["gcc", "-Wall", "-c", "w.c"], dir.path());
        for expected in [Outcome::Miss, Outcome::Hit] {
            let mut seen = Vec::new();
            let result = service
                .compile_streaming(&request, |stream, chunk| {
                    assert_eq!(stream, Stream::Stderr);
                    seen.extend_from_slice(chunk);
                })
                .unwrap();
            assert_eq!(result.outcome, expected);
            assert!(!seen.is_empty());
            assert_eq!(seen, result.stderr);
        }
    }

    #[test]
    fn a_triggered_request_token_cancels_the_compile() {
        let _env = env_lock();
        let dir = TempDir::new("cancel");
        write_source(dir.path(), "c.c", "int h(void) { return 3; }\n");
        let service = Service::start(&Config::new(dir.path().join("cache"), identity())).unwrap();
        let mut request = CompileRequest::new(["gcc", "-c", "c.c"], dir.path());
        let token = CancelToken::new().unwrap();
        token.trigger();
        request.cancel = Some(token);
        let e = service.compile(&request).unwrap_err();
        assert_eq!(e.status, Status::Cancelled, "{e}");
        assert!(!dir.path().join("c.o").exists());
        request.cancel = None;
        assert_eq!(service.compile(&request).unwrap().outcome, Outcome::Miss);
    }

    #[test]
    fn a_triggered_config_token_cancels_every_compile() {
        let _env = env_lock();
        let dir = TempDir::new("cancel-config");
        write_source(dir.path(), "c.c", "int h(void) { return 3; }\n");
        let mut config = Config::new(dir.path().join("cache"), identity());
        let token = CancelToken::new().unwrap();
        config.cancel = Some(token.clone());
        let service = Service::start(&config).unwrap();
        drop(config); // the service keeps the token alive
        let request = CompileRequest::new(["gcc", "-c", "c.c"], dir.path());
        token.trigger();
        assert_eq!(service.compile(&request).unwrap_err().status, Status::Cancelled);
    }

    #[test]
    fn compiles_wait_while_the_hosts_processes_fill_the_budget() {
        let _env = env_lock();
        let dir = TempDir::new("budget");
        write_source(dir.path(), "b.c", "int k(void) { return 4; }\n");
        let counter = Arc::new(AtomicI32::new(1));
        let mut config = Config::new(dir.path().join("cache"), identity());
        config.max_parallel_compiles = 1;
        config.host_in_flight = Some(counter.clone());
        let service = Arc::new(Service::start(&config).unwrap());
        let request = CompileRequest::new(["gcc", "-c", "b.c"], dir.path());
        let compiling = {
            let service = service.clone();
            std::thread::spawn(move || service.compile(&request))
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while service.stats().unwrap().queue_depth == 0 {
            assert!(Instant::now() < deadline, "the compile never queued");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(!compiling.is_finished(), "compiled although the host used the whole budget");
        counter.store(0, Ordering::Release);
        let result = compiling.join().unwrap().unwrap();
        assert_eq!(result.outcome, Outcome::Miss);
        assert!(result.queued >= Duration::from_millis(40), "{:?}", result.queued);
    }

    #[test]
    fn from_env_picks_embedded_only_for_zcwrap_embedded_1() {
        let _env = env_lock();
        let dir = TempDir::new("from-env");
        let config = Config::new(dir.path().join("cache"), identity());
        let saved_embedded = std::env::var_os("ZCWRAP_EMBEDDED");
        let saved_bin = std::env::var_os("ZCWRAP_BIN");

        std::env::set_var("ZCWRAP_EMBEDDED", "1");
        let embedded = CompileBackend::from_env(&config);
        std::env::set_var("ZCWRAP_EMBEDDED", "0");
        std::env::set_var("ZCWRAP_BIN", "/opt/zc/bin/zcwrap");
        let wrapped = CompileBackend::from_env(&config);
        std::env::remove_var("ZCWRAP_EMBEDDED");
        std::env::remove_var("ZCWRAP_BIN");
        let default = CompileBackend::from_env(&config);

        match saved_embedded {
            Some(v) => std::env::set_var("ZCWRAP_EMBEDDED", v),
            None => std::env::remove_var("ZCWRAP_EMBEDDED"),
        }
        match saved_bin {
            Some(v) => std::env::set_var("ZCWRAP_BIN", v),
            None => std::env::remove_var("ZCWRAP_BIN"),
        }

        assert_eq!(embedded.unwrap().kind(), "embedded");
        match wrapped.unwrap() {
            CompileBackend::Wrapped(w) => assert_eq!(w.program(), Path::new("/opt/zc/bin/zcwrap")),
            other => panic!("expected wrapped, got {}", other.kind()),
        }
        match default.unwrap() {
            CompileBackend::Wrapped(w) => assert_eq!(w.program(), Path::new("zcwrap")),
            other => panic!("expected wrapped, got {}", other.kind()),
        }
    }

    #[test]
    fn backend_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Service>();
        assert_send_sync::<CompileBackend>();
        assert_send_sync::<CancelToken>();
        assert_send_sync::<Config>();
    }
}
