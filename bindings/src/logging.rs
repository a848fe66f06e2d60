//! The core's `tracing` events, forwarded to the app's `Logger` (Logcat, os_log).
//!
//! ```text
//!  core: tracing::info!(target: "offline_cash::wallet", …) ──► ForwardLayer (installed once,
//!  global) ──► Logger.log(level, target, message)  (if a logger is set and level ≤ its max)
//! ```
//!
//! Contract: `set_logger` installs the forwarding subscriber the first time it is called; if
//! the process already has a global `tracing` subscriber, the app's logger receives nothing
//! (reported once as `false`). Events are formatted as `message key=value …`.

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something unusual the app should know about (a rejected payment, a torn tap).
    Warn,
    /// Milestones (payment committed, completed).
    Info,
    /// Details for debugging.
    Debug,
    /// Everything.
    Trace,
}

/// Receives the library's log lines. Implemented by the app (Logcat, `os_log`); called on the
/// thread that logs, so keep it quick.
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    /// One line: its level, the emitting module (`offline_cash::wallet`) and the text.
    fn log(&self, level: LogLevel, target: String, message: String);
}

struct Sink {
    logger: Option<Arc<dyn Logger>>,
    max_level: LogLevel,
}

fn sink() -> &'static RwLock<Sink> {
    static SINK: OnceLock<RwLock<Sink>> = OnceLock::new();
    SINK.get_or_init(|| RwLock::new(Sink { logger: None, max_level: LogLevel::Info }))
}

/// Sends the library's log lines up to `max_level` to `logger` (none: stop logging). Returns
/// whether forwarding is active (false if the process already had a global `tracing`
/// subscriber of its own).
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn Logger>>, max_level: LogLevel) -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(ForwardLayer);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    });
    let mut sink = sink().write().unwrap_or_else(PoisonError::into_inner);
    sink.logger = logger;
    sink.max_level = max_level;
    installed
}

struct ForwardLayer;

fn level_of(level: &tracing::Level) -> LogLevel {
    match *level {
        tracing::Level::ERROR => LogLevel::Error,
        tracing::Level::WARN => LogLevel::Warn,
        tracing::Level::INFO => LogLevel::Info,
        tracing::Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ForwardLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let level = level_of(event.metadata().level());
        let logger = {
            let sink = sink().read().unwrap_or_else(PoisonError::into_inner);
            match &sink.logger {
                Some(l) if level <= sink.max_level => l.clone(),
                _ => return,
            }
        };
        let mut text = Text::default();
        event.record(&mut text);
        text.message.push_str(&text.fields);
        logger.log(level, event.metadata().target().to_owned(), text.message);
    }
}
