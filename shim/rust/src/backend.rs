//! `CompileBackend`: one `compile` call over the embedded service or over the `zcwrap` CLI.

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::audit_line;
use crate::cancel::CancelToken;
use crate::config::{AuditMode, Config};
use crate::error::{Error, Status};
use crate::request::{CompileRequest, CompileResult, Outcome};
use crate::service::{validate_request, Service};

extern "C" {
    fn setpgid(pid: i32, pgid: i32) -> i32;
    fn kill(pid: i32, sig: i32) -> i32;
}
const SIGKILL: i32 = 9;

/// Where a host sends its compiles: the embedded service, or a `zcwrap` process per compile.
/// Both run the same engine on the same cache directory, so they are interchangeable: a result
/// stored through one is a hit through the other, and outputs, exit codes and outcomes are the
/// same (the parity gate in `tests/parity.rs` checks it).
///
/// `Send + Sync`; `compile` may run from many threads at once.
#[derive(Debug)]
pub enum CompileBackend {
    /// In-process: [`Service::compile`].
    Embedded(Arc<Service>),
    /// One `zcwrap` process per compile: [`WrappedZcwrap::compile`].
    Wrapped(WrappedZcwrap),
}

impl CompileBackend {
    /// The backend the environment asks for: `Embedded` (a service started with `config`) when
    /// `ZCWRAP_EMBEDDED=1`, else `Wrapped` (the `zcwrap` named by `ZCWRAP_BIN`, default `zcwrap`
    /// on PATH). Errors: those of [`Service::start`] or [`WrappedZcwrap::new`].
    pub fn from_env(config: &Config) -> Result<CompileBackend, Error> {
        if embedded_requested(std::env::var_os("ZCWRAP_EMBEDDED").as_deref()) {
            Ok(CompileBackend::Embedded(Arc::new(Service::start(config)?)))
        } else {
            Ok(CompileBackend::Wrapped(WrappedZcwrap::from_env(config)?))
        }
    }

    /// Runs one compile; see [`Service::compile`] for what `Ok` and each error mean. The wrapped
    /// backend adds Io: `zcwrap` could not be run.
    pub fn compile(&self, request: &CompileRequest) -> Result<CompileResult, Error> {
        match self {
            CompileBackend::Embedded(service) => service.compile(request),
            CompileBackend::Wrapped(wrapped) => wrapped.compile(request),
        }
    }

    /// "embedded" or "wrapped", e.g. for the host's diagnostics.
    pub fn kind(&self) -> &'static str {
        match self {
            CompileBackend::Embedded(_) => "embedded",
            CompileBackend::Wrapped(_) => "wrapped",
        }
    }
}

/// Whether a `ZCWRAP_EMBEDDED` value asks for the embedded backend: exactly "1".
pub(crate) fn embedded_requested(value: Option<&OsStr>) -> bool {
    value == Some(OsStr::new("1"))
}

/// The wrapped backend: runs `zcwrap <compiler> <args[1..]>` per compile, as a host does today.
///
/// Each compile runs in the request's `cwd` with the request's environment (or the host's), plus
/// `ZCWRAP_DIR` = the cache root, `ZCWRAP_MAX_SIZE` when the config sets one, and the request's
/// audit ids as `ZCWRAP_RUN_ID`, `ZCWRAP_TRACE_ID`, ... (ids left `None` keep the environment's).
/// stdin is the request's (else `/dev/null`); stdout, stderr and the exit code are captured.
///
/// The cache outcome comes from `zcwrap`'s audit event: `ZCWRAP_AUDIT_FILE` points at a private
/// temporary file (mode 0600, removed afterwards) with `ZCWRAP_AUDIT_MODE` = the configured mode
/// (`summary` when audit is off), and the `compile.finished` event gives the outcome, reason and
/// compile id. When audit is on, the file's lines are then appended to the host's audit file
/// ([`Config::effective_audit_path`], the same file an embedded service writes), one `write` per
/// line, so events of both backends land in one place. Mapping of what cannot be read:
/// - no `compile.finished` event (`zcwrap` disabled by `ZCWRAP_DISABLE`, killed, or too old to
///   audit): outcome `Error`, reason "no_audit_event", compile id "";
/// - an outcome name this crate does not know (e.g. "cancelled" without a cancellation here):
///   outcome `Error`, with `zcwrap`'s reason.
///
/// An uncacheable call (which `zcwrap` runs by `exec`ing the compiler, its event saying
/// `"exit_code": null`) is `Uncacheable` with the compiler's own exit code.
///
/// Cancellation: when the request's or the config's token fires, the `zcwrap` process group
/// (`zcwrap` and the compilers it runs; it gets its own group only when a token is given) is
/// killed and the call returns a Cancelled error. Compiles a daemon runs for it end when the
/// daemon sees its client gone. `max_parallel_compiles` and `host_in_flight` do not apply: the
/// host schedules these processes itself. `queued` is always zero.
///
/// `Send + Sync`: plain data; each compile is its own process.
#[derive(Clone, Debug)]
pub struct WrappedZcwrap {
    program: PathBuf,
    cache_root: PathBuf,
    max_size: u64,
    audit_mode: AuditMode,
    audit_path: Option<PathBuf>,
    cancel: Option<CancelToken>,
}

/// Temporary audit files of this process, numbered.
static AUDIT_FILE_SEQ: AtomicU64 = AtomicU64::new(0);

/// A private temporary file, removed when dropped.
struct PrivateAuditFile {
    path: PathBuf,
}

impl PrivateAuditFile {
    fn create() -> Result<PrivateAuditFile, Error> {
        let dir = std::env::temp_dir();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let mut last_error = None;
        for _ in 0..8 {
            let seq = AUDIT_FILE_SEQ.fetch_add(1, Ordering::Relaxed);
            let name = format!("zcshim-audit-{}-{seq}-{nanos:x}.jsonl", std::process::id());
            let path = dir.join(name);
            match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
                Ok(_) => return Ok(PrivateAuditFile { path }),
                Err(e) => last_error = Some(e),
            }
        }
        Err(Error::new(
            Status::Io,
            format!("cannot create an audit file in {}: {}", dir.display(), last_error.unwrap()),
        ))
    }
}

impl Drop for PrivateAuditFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// What `zcwrap`'s compile.finished event said.
#[derive(Debug, PartialEq, Eq)]
struct Finished {
    outcome: Outcome,
    reason: String,
    compile_id: String,
}

/// The last compile.finished event among `lines`, mapped as [`WrappedZcwrap`] documents.
fn finished_event(lines: &[&str]) -> Finished {
    for line in lines.iter().rev() {
        let fields = match audit_line::top_level_strings(line) {
            Some(fields) => fields,
            None => continue,
        };
        if audit_line::field(&fields, "event") != Some("compile.finished") {
            continue;
        }
        let name = audit_line::field(&fields, "outcome").unwrap_or("");
        return Finished {
            outcome: Outcome::from_name(name).unwrap_or(Outcome::Error),
            reason: audit_line::field(&fields, "reason").unwrap_or("").to_string(),
            compile_id: audit_line::field(&fields, "compile_id").unwrap_or("").to_string(),
        };
    }
    Finished {
        outcome: Outcome::Error,
        reason: "no_audit_event".to_string(),
        compile_id: String::new(),
    }
}

/// Appends `lines` to `path` (created with its directory), one write per line. Failures are
/// dropped: an audit problem never fails a compile.
fn append_lines(path: &Path, lines: &[&str]) {
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let mut file = match OpenOptions::new().create(true).append(true).mode(0o644).open(path) {
        Ok(file) => file,
        Err(_) => return,
    };
    for line in lines {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        let _ = file.write_all(&buf);
    }
}

fn exit_code(status: ExitStatus) -> i32 {
    match status.code() {
        Some(code) => code,
        None => 128 + status.signal().unwrap_or(0),
    }
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut out);
        }
        out
    })
}

impl WrappedZcwrap {
    /// A wrapped backend running `program` (a path, or a name looked up in PATH) for `config`
    /// (its cache root, size limit, audit mode and path, and token). Errors: InvalidArgument for
    /// a config an embedded service would refuse too (relative cache root, bad identity).
    pub fn new(config: &Config, program: impl Into<PathBuf>) -> Result<WrappedZcwrap, Error> {
        config.validate()?;
        Ok(WrappedZcwrap {
            program: program.into(),
            cache_root: config.cache_root.clone(),
            max_size: config.max_size,
            audit_mode: config.audit_mode,
            audit_path: config.effective_audit_path(),
            cancel: config.cancel.clone(),
        })
    }

    /// As [`WrappedZcwrap::new`] with the program named by `ZCWRAP_BIN`, else `zcwrap`.
    pub fn from_env(config: &Config) -> Result<WrappedZcwrap, Error> {
        let program = match std::env::var_os("ZCWRAP_BIN") {
            Some(bin) if !bin.is_empty() => PathBuf::from(bin),
            _ => PathBuf::from("zcwrap"),
        };
        WrappedZcwrap::new(config, program)
    }

    /// The `zcwrap` this backend runs.
    pub fn program(&self) -> &Path {
        &self.program
    }

    fn tokens<'a>(&'a self, request: &'a CompileRequest) -> Vec<&'a CancelToken> {
        self.cancel.iter().chain(request.cancel.iter()).collect()
    }

    /// Runs one compile through `zcwrap`; see the type's documentation. `Ok` whatever the exit
    /// code. Errors: InvalidArgument (malformed request, as [`Service::compile`]), Cancelled,
    /// Io (`zcwrap` could not be run, or its output could not be read).
    pub fn compile(&self, request: &CompileRequest) -> Result<CompileResult, Error> {
        let start = Instant::now();
        validate_request(request)?;
        let tokens = self.tokens(request);
        if tokens.iter().any(|t| t.is_triggered()) {
            let message = "the compile was cancelled before it started";
            return Err(Error::new(Status::Cancelled, message));
        }
        let audit_file = PrivateAuditFile::create()?;

        let compiler: &OsString = request.compiler_name().expect("validated: args is not empty");
        let mut cmd = Command::new(&self.program);
        cmd.arg(compiler).args(&request.args[1..]).current_dir(&request.cwd);
        if let Some(env) = &request.env {
            cmd.env_clear();
            cmd.envs(env.iter().map(|(name, value)| (name, value)));
        }
        cmd.env("ZCWRAP_DIR", &self.cache_root);
        if self.max_size != 0 {
            cmd.env("ZCWRAP_MAX_SIZE", self.max_size.to_string());
        }
        let mode = match self.audit_mode {
            AuditMode::Off => AuditMode::Summary,
            mode => mode,
        };
        cmd.env("ZCWRAP_AUDIT_FILE", &audit_file.path);
        cmd.env("ZCWRAP_AUDIT_MODE", mode.as_str());
        for (name, value) in request.audit.env_pairs() {
            cmd.env(name, value);
        }
        cmd.stdin(if request.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if !tokens.is_empty() {
            // Its own process group, so a cancellation kills the compilers zcwrap runs too.
            // SAFETY: setpgid is async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if setpgid(0, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().map_err(|e| {
            Error::new(Status::Io, format!("cannot run {}: {e}", self.program.display()))
        })?;

        let stdin_writer = match (child.stdin.take(), &request.stdin) {
            (Some(mut pipe), Some(data)) => {
                let data = data.clone();
                // A compiler that exits without reading gives EPIPE here, which is fine.
                Some(thread::spawn(move || {
                    let _ = pipe.write_all(&data);
                }))
            }
            _ => None,
        };
        let waited = if tokens.is_empty() {
            child.wait_with_output().map(|o| (o.status, o.stdout, o.stderr))
        } else {
            self.wait_cancellable(child, &tokens)?
        };
        if let Some(writer) = stdin_writer {
            let _ = writer.join();
        }
        let (status, stdout, stderr) = waited.map_err(|e| {
            Error::new(Status::Io, format!("waiting for {}: {e}", self.program.display()))
        })?;

        let events = fs::read(&audit_file.path).unwrap_or_default();
        let events = String::from_utf8_lossy(&events);
        let lines: Vec<&str> = events.lines().filter(|l| !l.trim().is_empty()).collect();
        let finished = finished_event(&lines);
        if let Some(path) = &self.audit_path {
            append_lines(path, &lines);
        }
        Ok(CompileResult {
            exit_code: exit_code(status),
            outcome: finished.outcome,
            reason: finished.reason,
            stdout,
            stderr,
            compile_id: finished.compile_id,
            queued: Duration::ZERO,
            total: start.elapsed(),
        })
    }

    /// Waits for `child` while watching `tokens`: Err(Cancelled) once one fires (the child's
    /// process group killed and reaped), else the exit status and the captured output.
    #[allow(clippy::type_complexity)]
    fn wait_cancellable(
        &self,
        mut child: Child,
        tokens: &[&CancelToken],
    ) -> Result<io::Result<(ExitStatus, Vec<u8>, Vec<u8>)>, Error> {
        let stdout = read_all(child.stdout.take());
        let stderr = read_all(child.stderr.take());
        let mut pause = Duration::from_micros(50);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    let out = stdout.join().unwrap_or_default();
                    let err = stderr.join().unwrap_or_default();
                    return Ok(Ok((status, out, err)));
                }
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
            if tokens.iter().any(|t| t.is_triggered()) {
                // SAFETY: plain syscall. The child is not reaped yet, so its pid (the group id)
                // cannot have been reused.
                unsafe { kill(-(child.id() as i32), SIGKILL) };
                let _ = child.kill();
                let _ = child.wait();
                let _ = stdout.join();
                let _ = stderr.join();
                return Err(Error::new(
                    Status::Cancelled,
                    "the compile was cancelled; zcwrap and its compiler were killed",
                ));
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostIdentity;

    #[test]
    fn only_exactly_1_selects_the_embedded_backend() {
        assert!(embedded_requested(Some(OsStr::new("1"))));
        for value in ["0", "", "true", "yes", " 1"] {
            assert!(!embedded_requested(Some(OsStr::new(value))), "{value:?}");
        }
        assert!(!embedded_requested(None));
    }

    #[test]
    fn finished_event_gives_outcome_reason_and_id() {
        let lines = [
            r#"{"schema":1,"event":"compile.started","compile_id":"a-1"}"#,
            r#"{"schema":1,"event":"cache.hit","compile_id":"a-1","mode":"direct"}"#,
            concat!(
                r#"{"schema":1,"event":"compile.finished","compile_id":"a-1","outcome":"hit","#,
                r#""reason":"direct_cache_hit","exit_code":0}"#
            ),
        ];
        let expected = Finished {
            outcome: Outcome::Hit,
            reason: "direct_cache_hit".into(),
            compile_id: "a-1".into(),
        };
        assert_eq!(finished_event(&lines), expected);
        let uncacheable = [concat!(
            r#"{"event":"compile.finished","compile_id":"b","outcome":"uncacheable","#,
            r#""reason":"called_for_link","exit_code":null}"#
        )];
        assert_eq!(finished_event(&uncacheable).outcome, Outcome::Uncacheable);
    }

    #[test]
    fn unreadable_outcomes_map_to_error() {
        let none = finished_event(&[]);
        assert_eq!(none.outcome, Outcome::Error);
        assert_eq!(none.reason, "no_audit_event");
        assert_eq!(none.compile_id, "");
        let torn = finished_event(&[r#"{"event":"compile.finished","outcome":"hi"#]);
        assert_eq!(torn.reason, "no_audit_event");
        let cancelled = finished_event(&[
            r#"{"event":"compile.finished","outcome":"cancelled","reason":"internal_error"}"#,
        ]);
        assert_eq!(cancelled.outcome, Outcome::Error);
        assert_eq!(cancelled.reason, "internal_error");
    }

    #[test]
    fn audit_lines_are_appended_one_per_line() {
        let dir = std::env::temp_dir().join(format!("zcshim-unit-append-{}", std::process::id()));
        let path = dir.join("sub").join("audit.jsonl");
        append_lines(&path, &["{\"a\":1}"]);
        append_lines(&path, &["{\"b\":2}", "{\"c\":3}"]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn private_audit_files_are_distinct_and_removed() {
        let a = PrivateAuditFile::create().unwrap();
        let b = PrivateAuditFile::create().unwrap();
        assert_ne!(a.path, b.path);
        let path = a.path.clone();
        assert!(path.exists());
        drop(a);
        assert!(!path.exists());
    }

    #[test]
    fn wrapped_refuses_what_embedded_refuses() {
        let bad = Config::new("/tmp/c", HostIdentity::new("soldr", "main", "bad/ws"));
        assert_eq!(WrappedZcwrap::new(&bad, "zcwrap").unwrap_err().status, Status::InvalidArgument);
        let good = Config::new("/tmp/c", HostIdentity::new("soldr", "main", "ws"));
        let wrapped = WrappedZcwrap::new(&good, "/nonexistent/zcwrap").unwrap();
        let mut request = CompileRequest::new(["gcc", "-c", "a.c"], "relative");
        assert_eq!(wrapped.compile(&request).unwrap_err().status, Status::InvalidArgument);
        request.cwd = PathBuf::from("/tmp");
        let e = wrapped.compile(&request).unwrap_err();
        assert_eq!(e.status, Status::Io, "{e}");
        assert!(e.message.contains("/nonexistent/zcwrap"), "{e}");
        let empty = CompileRequest::new(Vec::<String>::new(), "/tmp");
        assert_eq!(wrapped.compile(&empty).unwrap_err().status, Status::InvalidArgument);
    }

    #[test]
    fn wrapped_reports_a_cancelled_token_before_running_anything() {
        let good = Config::new("/tmp/c", HostIdentity::new("soldr", "main", "ws"));
        let wrapped = WrappedZcwrap::new(&good, "/nonexistent/zcwrap").unwrap();
        let mut request = CompileRequest::new(["gcc", "-c", "a.c"], "/tmp");
        let token = CancelToken::new().unwrap();
        token.trigger();
        request.cancel = Some(token);
        assert_eq!(wrapped.compile(&request).unwrap_err().status, Status::Cancelled);
    }
}
