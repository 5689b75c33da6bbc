//! `Config` (what a service, or the wrapped backend, is started with) and its parts.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::AtomicI32;
use std::sync::Arc;

use crate::cancel::CancelToken;
use crate::error::{Error, Status};
use crate::ffi;
use crate::slots::Slots;

/// Receives every audit event of a service in-process: one JSON object per call (schema in
/// `docs/audit.md`), on the thread that produced it, so it must be thread-safe and quick. A
/// panic loses that event (counted in [`crate::Stats::audit_dropped`]). Cheap to clone.
#[derive(Clone)]
pub struct AuditSink(Arc<SinkFn>);

/// The closure, behind a thin pointer whose address holds while any clone lives (the C library
/// keeps it as user_data).
pub(crate) struct SinkFn(Box<dyn Fn(&str) + Send + Sync>);

impl SinkFn {
    pub(crate) fn call(&self, line: &str) {
        (self.0)(line)
    }
}

impl AuditSink {
    /// A sink calling `f` with each event.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> AuditSink {
        AuditSink(Arc::new(SinkFn(Box::new(f))))
    }

    /// The heap address of the closure: stable while this sink or a clone lives.
    pub(crate) fn as_ptr(&self) -> *const SinkFn {
        Arc::as_ptr(&self.0)
    }
}

impl fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditSink")
    }
}

/// How much goes into the audit log (JSON Lines, schema in `docs/audit.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AuditMode {
    /// No audit events.
    #[default]
    Off,
    /// `compile.finished` only.
    Summary,
    /// Every event: `compile.started`, `cache.hit`/`cache.miss`, `cache.store`,
    /// `compile.finished`.
    Normal,
    /// Every event, and `compile.started` carries argv, cwd and the (redacted) environment.
    Verbose,
}

impl AuditMode {
    /// The name `zcwrap` uses (`ZCWRAP_AUDIT_MODE`): "off", "summary", "normal", "verbose".
    pub fn as_str(self) -> &'static str {
        match self {
            AuditMode::Off => "off",
            AuditMode::Summary => "summary",
            AuditMode::Normal => "normal",
            AuditMode::Verbose => "verbose",
        }
    }

    pub(crate) fn to_raw(self) -> ffi::zc_audit_mode {
        match self {
            AuditMode::Off => ffi::ZC_AUDIT_OFF,
            AuditMode::Summary => ffi::ZC_AUDIT_SUMMARY,
            AuditMode::Normal => ffi::ZC_AUDIT_NORMAL,
            AuditMode::Verbose => ffi::ZC_AUDIT_VERBOSE,
        }
    }
}

impl fmt::Display for AuditMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditMode {
    type Err = Error;
    /// Parses a `zcwrap` mode name (any case, surrounding blanks ignored).
    fn from_str(s: &str) -> Result<AuditMode, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(AuditMode::Off),
            "summary" => Ok(AuditMode::Summary),
            "normal" => Ok(AuditMode::Normal),
            "verbose" => Ok(AuditMode::Verbose),
            _ => Err(Error::new(
                Status::InvalidArgument,
                format!("audit mode \"{s}\": expected off, summary, normal or verbose"),
            )),
        }
    }
}

/// Who runs the service. Each field: 1 to 64 characters of `[A-Za-z0-9._-]`. Written into every
/// embedded audit event and into the default audit file name
/// (`<cache_root>/audit/<product>-<instance_id>-<workspace_id>.jsonl`); keep the values stable
/// across runs to keep one audit file per (product, instance, workspace). Cache results do not
/// depend on it: the cache is shared.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct HostIdentity {
    /// The host product, e.g. "soldr".
    pub product: String,
    /// Which instance of it, e.g. "main" or a daemon id.
    pub instance_id: String,
    /// Which workspace, e.g. a hash of the workspace root.
    pub workspace_id: String,
}

impl HostIdentity {
    /// An identity from its three fields (validated when a service or backend starts).
    pub fn new(
        product: impl Into<String>,
        instance_id: impl Into<String>,
        workspace_id: impl Into<String>,
    ) -> HostIdentity {
        HostIdentity {
            product: product.into(),
            instance_id: instance_id.into(),
            workspace_id: workspace_id.into(),
        }
    }

    /// The same check the C library makes: InvalidArgument naming the first bad field.
    pub fn validate(&self) -> Result<(), Error> {
        validate_field("host.product", &self.product)?;
        validate_field("host.instance_id", &self.instance_id)?;
        validate_field("host.workspace_id", &self.workspace_id)
    }
}

fn validate_field(what: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() || value.len() > 64 {
        let message = format!("{what} must be 1 to 64 characters");
        return Err(Error::new(Status::InvalidArgument, message));
    }
    if !value.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-') {
        return Err(Error::new(
            Status::InvalidArgument,
            format!("{what} \"{value}\" may only hold letters, digits, '.', '_' and '-'"),
        ));
    }
    Ok(())
}

/// What a [`crate::Service`] (or a [`crate::WrappedZcwrap`]) is started with. Build it with
/// [`Config::new`] and set the public fields. Plain data: cloning shares the counter and token.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The cache directory (`zcwrap`'s `ZCWRAP_DIR`), absolute. Created if missing.
    pub cache_root: PathBuf,
    /// Size limit in bytes; 0: the cache's own setting (`zcwrap.conf`, else 5 GiB).
    pub max_size: u64,
    /// Who runs the service.
    pub host: HostIdentity,
    /// Compilers run at once by an embedded service; 0: [`crate::default_parallelism`] (CPUs,
    /// capped by a cgroup quota). Hits never wait. Ignored with `slots`, and by the wrapped
    /// backend (the host schedules its own `zcwrap` processes).
    pub max_parallel_compiles: u32,
    /// A budget shared with the host ([`Slots`]): the host's own processes and the service's
    /// compilers together never exceed it. Ignored by the wrapped backend.
    pub slots: Option<Slots>,
    /// Deprecated, use `slots`: the host's own count of running processes, which it updates
    /// atomically and the service polls while a compiler waits. Not together with `slots`.
    pub host_in_flight: Option<Arc<AtomicI32>>,
    /// How much goes into the audit log.
    pub audit_mode: AuditMode,
    /// Where audit events are appended; `None`: the default file under `cache_root` (see
    /// [`Config::effective_audit_path`]). Unused when `audit_mode` is `Off`.
    pub audit_path: Option<PathBuf>,
    /// The host's own cancellation: once triggered, every running and later compile returns a
    /// Cancelled error, as if each request named this token too.
    pub cancel: Option<CancelToken>,
    /// Every audit event, in-process (as well as to `audit_path`; instead of the default file
    /// when `audit_path` is `None`). `audit_mode` still picks the events.
    pub audit_sink: Option<AuditSink>,
}

impl Config {
    /// A config with the given cache root and identity, every other field at its default
    /// (no size limit override, one compiler per CPU, audit off, no token).
    pub fn new(cache_root: impl Into<PathBuf>, host: HostIdentity) -> Config {
        Config {
            cache_root: cache_root.into(),
            max_size: 0,
            host,
            max_parallel_compiles: 0,
            slots: None,
            host_in_flight: None,
            audit_mode: AuditMode::Off,
            audit_path: None,
            cancel: None,
            audit_sink: None,
        }
    }

    /// Where audit events go: `audit_path`, else
    /// `<cache_root>/audit/<product>-<instance_id>-<workspace_id>.jsonl`; `None` when audit is off
    /// or goes to the sink only.
    pub fn effective_audit_path(&self) -> Option<PathBuf> {
        if self.audit_mode == AuditMode::Off
            || (self.audit_sink.is_some() && self.audit_path.is_none())
        {
            return None;
        }
        Some(match &self.audit_path {
            Some(path) => path.clone(),
            None => self.cache_root.join("audit").join(format!(
                "{}-{}-{}.jsonl",
                self.host.product, self.host.instance_id, self.host.workspace_id
            )),
        })
    }

    /// The checks both backends make before starting: an absolute cache root and a valid identity.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !Path::new(&self.cache_root).is_absolute() {
            return Err(Error::new(Status::InvalidArgument, "cache_root must be an absolute path"));
        }
        self.host.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_validation_names_the_bad_field() {
        assert!(HostIdentity::new("soldr", "main", "ws-1.2_3").validate().is_ok());
        let e = HostIdentity::new("soldr", "", "ws").validate().unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains("host.instance_id"), "{e}");
        let e = HostIdentity::new("sol dr", "main", "ws").validate().unwrap_err();
        assert!(e.message.contains("host.product"), "{e}");
        let e = HostIdentity::new("soldr", "main", "w".repeat(65)).validate().unwrap_err();
        assert!(e.message.contains("host.workspace_id"), "{e}");
        assert!(HostIdentity::new("soldr", "main", "w".repeat(64)).validate().is_ok());
    }

    #[test]
    fn audit_modes_parse_and_print_as_zcwrap_names() {
        for mode in [AuditMode::Off, AuditMode::Summary, AuditMode::Normal, AuditMode::Verbose] {
            assert_eq!(mode.as_str().parse::<AuditMode>().unwrap(), mode);
        }
        assert_eq!(" Verbose ".parse::<AuditMode>().unwrap(), AuditMode::Verbose);
        assert_eq!("loud".parse::<AuditMode>().unwrap_err().status, Status::InvalidArgument);
    }

    #[test]
    fn default_audit_path_is_under_the_cache_root() {
        let mut config = Config::new("/c", HostIdentity::new("soldr", "main", "ws"));
        assert_eq!(config.effective_audit_path(), None);
        config.audit_mode = AuditMode::Summary;
        let default = PathBuf::from("/c/audit/soldr-main-ws.jsonl");
        assert_eq!(config.effective_audit_path(), Some(default));
        config.audit_path = Some(PathBuf::from("/log/a.jsonl"));
        assert_eq!(config.effective_audit_path(), Some(PathBuf::from("/log/a.jsonl")));
    }

    #[test]
    fn relative_cache_root_is_refused() {
        let config = Config::new("cache", HostIdentity::new("soldr", "main", "ws"));
        assert_eq!(config.validate().unwrap_err().status, Status::InvalidArgument);
    }
}
