//! hls-swarm's own log lines on stderr: text or JSON, quiet unless verbose or important.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use crate::cli::LogFormat;

/// A cheap, clonable logger. Events are written only when verbose; warnings always, unless
/// the dashboard owns the terminal (then they would corrupt it and are held back).
#[derive(Clone)]
pub struct Log {
    format: LogFormat,
    verbose: bool,
    muted: Arc<AtomicBool>,
}

impl Log {
    /// A logger writing `format` lines; `verbose` enables per-viewer events.
    pub fn new(format: LogFormat, verbose: bool) -> Self {
        Log {
            format,
            verbose,
            muted: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Mutes every line while the dashboard owns the terminal.
    pub fn set_muted(&self, muted: bool) {
        // Relaxed: a flag read on the next log call; no data is published through it.
        self.muted.store(muted, Ordering::Relaxed);
    }

    fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// A per-viewer event, written only with `-v`.
    pub fn event(&self, name: &str, fields: &[(&str, String)]) {
        if self.verbose && !self.muted() {
            self.write("debug", name, fields);
        }
    }

    /// Something the user should see.
    pub fn info(&self, name: &str, fields: &[(&str, String)]) {
        if !self.muted() {
            self.write("info", name, fields);
        }
    }

    /// A problem that does not stop the run.
    pub fn warn(&self, name: &str, fields: &[(&str, String)]) {
        if !self.muted() {
            self.write("warn", name, fields);
        }
    }

    fn write(&self, level: &str, name: &str, fields: &[(&str, String)]) {
        let line = match self.format {
            LogFormat::Text => {
                let mut s = format!("hls-swarm: {name}");
                for (k, v) in fields {
                    if v.contains(' ') || v.is_empty() {
                        s.push_str(&format!(" {k}={v:?}"));
                    } else {
                        s.push_str(&format!(" {k}={v}"));
                    }
                }
                s
            }
            LogFormat::Json => {
                let mut map = serde_json::Map::new();
                let ts = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                map.insert("ts".into(), serde_json::json!(ts));
                map.insert("level".into(), level.into());
                map.insert("msg".into(), name.into());
                for (k, v) in fields {
                    map.insert((*k).into(), v.clone().into());
                }
                serde_json::Value::Object(map).to_string()
            }
        };
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}
