//! Issue 18's acceptance through the crate: async compiles driven from ONE thread by a minimal
//! executor written here (no runtime crate), some cancelled by dropping their futures; outcomes,
//! no leaked compilers, byte-identical objects; a shared slot budget; a `Drop` that never blocks.
//!
//! Needs gcc and a built libzcshim (tests/shim/cargo_test.sh sets it up).

use std::fs;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use zcshim::{CompileRequest, Config, HostIdentity, Outcome, Service, ShutdownMode, Slots};

/// The tests here count this process's children: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

// ---- A minimal executor: one thread, a condition variable as the waker ----------------------

struct Signal {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        *self.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_one();
    }
}

/// Polls every future until all are ready, on the calling thread, sleeping until woken in
/// between. `None` entries are skipped (already dropped). Panics after `limit`.
fn block_on_all<F: Future + Unpin>(futures: &mut [Option<F>], limit: Duration) -> Vec<Option<F::Output>> {
    let signal = Arc::new(Signal { woken: Mutex::new(true), cv: Condvar::new() });
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let deadline = Instant::now() + limit;
    loop {
        let mut woken = signal.woken.lock().unwrap();
        while !*woken && Instant::now() < deadline {
            woken = signal.cv.wait_timeout(woken, Duration::from_millis(500)).unwrap().0;
        }
        let was_woken = std::mem::replace(&mut *woken, false);
        drop(woken);
        assert!(was_woken, "futures never woke in {limit:?}");
        let mut pending = 0;
        for (slot, result) in futures.iter_mut().zip(out.iter_mut()) {
            if let Some(future) = slot {
                match Pin::new(future).poll(&mut cx) {
                    Poll::Ready(value) => {
                        *result = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => pending += 1,
                }
            }
        }
        if pending == 0 {
            return out;
        }
        assert!(Instant::now() < deadline, "{pending} futures still pending after {limit:?}");
    }
}

fn block_on<F: Future + Unpin>(future: F) -> F::Output {
    block_on_all(&mut [Some(future)], Duration::from_secs(120)).pop().unwrap().unwrap()
}

// ---- Fixture ----------------------------------------------------------------------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "zcshim-async-{name}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn config(root: &Path, parallel: u32) -> Config {
    let mut config = Config::new(root.join("cache"), HostIdentity::new("soldr", "async", "ws"));
    config.max_parallel_compiles = parallel;
    config
}

/// Writes `n` distinct sources `name{i}.c` and compiles each plainly to `plain/name{i}.o`.
fn sources(dir: &Path, name: &str, n: usize) {
    fs::create_dir_all(dir.join("plain")).unwrap();
    for i in 0..n {
        let text = format!(
            "static int t[{0}];\nint {name}{i}(int x) {{ for (int i = 0; i < {0}; ++i) t[i] = x * i; \
             return t[{i}]; }}\n",
            i + 8
        );
        fs::write(dir.join(format!("{name}{i}.c")), text).unwrap();
        let status = Command::new("gcc")
            .args(["-O2", "-c", &format!("{name}{i}.c"), "-o", &format!("plain/{name}{i}.o")])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn request(dir: &Path, name: &str, i: usize) -> CompileRequest {
    // An explicit environment, as soldr passes one.
    let mut request = CompileRequest::new(
        ["gcc", "-O2", "-c", &format!("{name}{i}.c"), "-o", &format!("{name}{i}.o")],
        dir,
    );
    request.env = Some(vec![("PATH".into(), "/usr/bin:/bin".into())]);
    request
}

fn same_as_plain(dir: &Path, name: &str, i: usize) -> bool {
    let got = fs::read(dir.join(format!("{name}{i}.o"))).ok();
    got.is_some() && got == fs::read(dir.join(format!("plain/{name}{i}.o"))).ok()
}

/// Processes whose parent is this test process (the services' compilers).
fn children() -> usize {
    let me = std::process::id().to_string();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...
            stat.rsplit_once(") ").map_or(false, |(_, rest)| {
                rest.split_whitespace().nth(1).map_or(false, |ppid| ppid == me)
            })
        })
        .count()
}

// ---- Tests -----------------------------------------------------------------------------------

#[test]
fn sixty_four_async_compiles_from_one_thread_some_cancelled_by_drop() {
    let _serial = serial();
    let tmp = TempDir::new("64");
    let dir = &tmp.0;
    const N: usize = 64;
    sources(dir, "a", N);
    let service = Service::start(&config(dir, 2)).unwrap();

    let mut futures: Vec<Option<_>> =
        (0..N).map(|i| Some(service.compile_async(&request(dir, "a", i)))).collect();
    // A quarter dropped at once: the compile is cancelled, and the drop does not wait.
    let start = Instant::now();
    for (i, future) in futures.iter_mut().enumerate() {
        if i % 4 == 3 {
            *future = None;
        }
    }
    let drop_time = start.elapsed();
    assert!(drop_time < Duration::from_millis(100), "dropping 16 futures took {drop_time:?}");
    let results = block_on_all(&mut futures, Duration::from_secs(300));
    // Every callback has returned once shutdown is over: then no compiler may be left.
    let mut compiled = 0;
    for (i, result) in results.into_iter().enumerate() {
        if i % 4 == 3 {
            assert!(result.is_none());
            // Cancelled before or while it ran: no object, or (finished first) the right one.
            let object = dir.join(format!("a{i}.o"));
            assert!(!object.exists() || same_as_plain(dir, "a", i), "a{i}.o is torn");
            continue;
        }
        let result = result.unwrap().unwrap_or_else(|e| panic!("compile {i}: {e}"));
        assert_eq!(result.exit_code, 0, "compile {i}");
        assert_eq!(result.outcome, Outcome::Miss, "compile {i}");
        assert!(same_as_plain(dir, "a", i), "a{i}.o differs from plain gcc's");
        compiled += 1;
    }
    assert_eq!(compiled, N - N / 4);

    // Round two, all 64 from one thread again: hits for the stored ones, byte for byte.
    let mut futures: Vec<Option<_>> =
        (0..N).map(|i| Some(service.compile_async(&request(dir, "a", i)))).collect();
    let results = block_on_all(&mut futures, Duration::from_secs(300));
    let mut hits = 0;
    for (i, result) in results.into_iter().enumerate() {
        let result = result.unwrap().unwrap();
        assert_eq!(result.exit_code, 0);
        hits += (result.outcome == Outcome::Hit) as usize;
        assert!(same_as_plain(dir, "a", i), "round 2: a{i}.o differs from plain gcc's");
    }
    assert!(hits >= compiled, "{hits} hits for {compiled} stored");

    block_on(service.shutdown_async(ShutdownMode::Graceful)).unwrap();
    assert_eq!(children(), 0, "compilers outlived the shutdown");
    let stats = service.stats().unwrap();
    assert_eq!(stats.service.hits as usize, hits);
    assert_eq!((stats.service.misses + stats.service.cancelled) as usize, 2 * N - hits);
    // With 2 compiler slots and 64 queued, most of the 16 dropped never started: cancelled.
    assert!(stats.service.cancelled as usize >= N / 8, "{:?}", stats.service);
}

#[test]
fn a_dropped_service_never_blocks_and_its_compiles_still_finish() {
    let _serial = serial();
    let tmp = TempDir::new("drop");
    let dir = &tmp.0;
    sources(dir, "d", 8);
    let service = Service::start(&config(dir, 1)).unwrap();
    let mut futures: Vec<Option<_>> =
        (0..8).map(|i| Some(service.compile_async(&request(dir, "d", i)))).collect();
    let start = Instant::now();
    drop(service);
    let took = start.elapsed();
    assert!(took < Duration::from_millis(50), "dropping the service took {took:?}");
    for (i, result) in block_on_all(&mut futures, Duration::from_secs(120)).into_iter().enumerate() {
        let result = result.unwrap().unwrap();
        assert_eq!(result.outcome, Outcome::Miss);
        assert!(same_as_plain(dir, "d", i));
    }
}

#[test]
fn a_miss_waits_for_the_hosts_slot_and_starts_when_it_is_released() {
    let _serial = serial();
    let tmp = TempDir::new("slots");
    let dir = &tmp.0;
    sources(dir, "s", 1);
    let slots = Slots::new(1).unwrap();
    let mut cfg = config(dir, 0);
    cfg.slots = Some(slots.clone());
    let service = Service::start(&cfg).unwrap();

    let held = slots.acquire(None).unwrap();
    let mut compile = service.compile_async(&request(dir, "s", 0));
    let waker = Waker::from(Arc::new(Signal { woken: Mutex::new(false), cv: Condvar::new() }));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + Duration::from_secs(10);
    while slots.counts().service_waiting != 1 {
        assert!(Instant::now() < deadline, "the compile never queued: {:?}", slots.counts());
        std::thread::sleep(Duration::from_millis(5));
    }
    // A host waiter queued behind the compile: first come, first served.
    let mut host_turn = slots.acquire_async();
    assert!(Pin::new(&mut compile).poll(&mut cx).is_pending());
    assert!(Pin::new(&mut host_turn).poll(&mut cx).is_pending());
    let counts = slots.counts();
    assert_eq!((counts.limit, counts.host_held, counts.host_waiting), (1, 1, 1), "{counts:?}");

    // The release goes to the compile (first in line). A miss may run more than one process
    // (the compiler's identity, then the compile), so the host's turn can come in between:
    // take it and give it back, then the compile finishes.
    std::thread::sleep(Duration::from_millis(50)); // the compile waits meanwhile
    drop(held);
    let guard = block_on(host_turn).unwrap();
    assert_eq!(slots.counts().host_held, 1);
    drop(guard);
    let result = block_on(compile).unwrap();
    assert_eq!(result.outcome, Outcome::Miss);
    assert!(result.queued >= Duration::from_millis(40), "queued {:?}", result.queued);
    assert!(same_as_plain(dir, "s", 0));
    // A wait withdrawn by dropping its future leaves nothing held.
    let held = slots.acquire(None).unwrap();
    drop(slots.acquire_async());
    drop(held);
    let counts = slots.counts();
    assert_eq!((counts.host_held, counts.host_waiting, counts.service_held), (0, 0, 0));
}
