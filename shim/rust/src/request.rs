//! One compile: `CompileRequest` in, `CompileResult` out, the same for both backends.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cancel::CancelToken;

/// The host's ids, copied into every audit event of a compile so events stitch with the host's
/// own (e.g. soldr's run id → `run_id`, its build step → `command_id`). `None` fields are taken
/// from `ZCWRAP_RUN_ID`, `ZCWRAP_TRACE_ID`, `ZCWRAP_PARENT_SPAN_ID`, `ZCWRAP_COMMAND_ID`,
/// `ZCWRAP_SESSION_ID` in the request's environment (else the host's), by both backends.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AuditContext {
    /// The host's run (one invocation of the build tool).
    pub run_id: Option<String>,
    /// A distributed-tracing trace id.
    pub trace_id: Option<String>,
    /// The span this compile belongs under.
    pub parent_span_id: Option<String>,
    /// The host's id for this command.
    pub command_id: Option<String>,
    /// A longer-lived session (e.g. the host daemon's).
    pub session_id: Option<String>,
}

impl AuditContext {
    /// The fields as (`ZCWRAP_*` variable name, value), skipping `None`s.
    pub fn env_pairs(&self) -> Vec<(&'static str, &str)> {
        let fields = [
            ("ZCWRAP_RUN_ID", &self.run_id),
            ("ZCWRAP_TRACE_ID", &self.trace_id),
            ("ZCWRAP_PARENT_SPAN_ID", &self.parent_span_id),
            ("ZCWRAP_COMMAND_ID", &self.command_id),
            ("ZCWRAP_SESSION_ID", &self.session_id),
        ];
        fields.iter().filter_map(|(name, value)| value.as_deref().map(|v| (*name, v))).collect()
    }
}

/// One compile, as the host would run it. Plain data, borrowed by `compile` calls: one request
/// may be compiled many times and from many threads.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct CompileRequest {
    /// The compiler: a path (relative paths are relative to `cwd`), or a name looked up in the
    /// PATH of `env` (else of the host). `None`: `args[0]`.
    pub compiler: Option<OsString>,
    /// The compiler's argv, `args[0]` included (replaced by `compiler` when that is set).
    pub args: Vec<OsString>,
    /// Where the compiler runs; absolute.
    pub cwd: PathBuf,
    /// The compiler's whole environment; `None`: the host's. `ZCWRAP_*` variables act on this
    /// compile as they act on `zcwrap` (`ZCWRAP_RECACHE`, `ZCWRAP_DIRECT`, ...) except
    /// `ZCWRAP_DIR`: the configured cache root is the cache.
    pub env: Option<Vec<(OsString, OsString)>>,
    /// Fed to the compiler's standard input; `None`: `/dev/null`.
    pub stdin: Option<Vec<u8>>,
    /// The host's ids for the audit events.
    pub audit: AuditContext,
    /// Cancels this compile when triggered.
    pub cancel: Option<CancelToken>,
}

impl CompileRequest {
    /// A request for `args` (argv, `args[0]` the compiler) in `cwd`, with the host's
    /// environment and no stdin, audit ids or token.
    pub fn new<I, S>(args: I, cwd: impl Into<PathBuf>) -> CompileRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        CompileRequest {
            args: args.into_iter().map(Into::into).collect(),
            cwd: cwd.into(),
            ..CompileRequest::default()
        }
    }

    /// The compiler to run: `compiler`, else `args[0]`.
    pub fn compiler_name(&self) -> Option<&OsString> {
        self.compiler.as_ref().or_else(|| self.args.first())
    }
}

/// What the cache did with a compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Outputs restored from the cache.
    Hit,
    /// Compiled through the cache (stored if it succeeded).
    Miss,
    /// Compiled plainly: the arguments cannot be cached (linking, `-E`, ...).
    Uncacheable,
    /// Compiled plainly after an internal error, or the compiler could not be run (exit code
    /// 127, message on stderr). For the wrapped backend also: `zcwrap` did not report an
    /// outcome (see [`crate::WrappedZcwrap`]).
    Error,
}

impl Outcome {
    /// The audit name: "hit", "miss", "uncacheable", "error".
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Uncacheable => "uncacheable",
            Outcome::Error => "error",
        }
    }

    /// The outcome for an audit name; `None` for anything else (e.g. "cancelled").
    pub fn from_name(name: &str) -> Option<Outcome> {
        match name {
            "hit" => Some(Outcome::Hit),
            "miss" => Some(Outcome::Miss),
            "uncacheable" => Some(Outcome::Uncacheable),
            "error" => Some(Outcome::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which output stream a chunk of compiler output belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stream {
    /// Standard output (C stream 1).
    Stdout,
    /// Standard error (C stream 2).
    Stderr,
}

/// The result of a compile that ran (whatever the compiler's exit code). Owned data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileResult {
    /// The compiler's exit code; 128 + N if it died of signal N.
    pub exit_code: i32,
    /// What the cache did.
    pub outcome: Outcome,
    /// Why, as a `zcwrap` stats counter name ("direct_cache_hit", "cache_miss",
    /// "called_for_link", ...).
    pub reason: String,
    /// Exactly what the compiler wrote to stdout.
    pub stdout: Vec<u8>,
    /// Exactly what the compiler wrote to stderr.
    pub stderr: Vec<u8>,
    /// The id of this compile's audit events ("" if the wrapped backend could not read it).
    pub compile_id: String,
    /// Time spent waiting for a compiler slot (always zero for the wrapped backend).
    pub queued: Duration,
    /// The whole call.
    pub total: Duration,
}

impl CompileResult {
    /// A result with the given exit code and outcome, empty output and no timings (for hosts'
    /// own results, e.g. a plain compile to compare with).
    pub fn new(exit_code: i32, outcome: Outcome) -> CompileResult {
        CompileResult {
            exit_code,
            outcome,
            reason: String::new(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            compile_id: String::new(),
            queued: Duration::ZERO,
            total: Duration::ZERO,
        }
    }
}
