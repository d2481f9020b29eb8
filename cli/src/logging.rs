//! Logging through `tracing`, quiet by default. `-v` and `SCE_LOG` take effect at
//! once; otherwise the configuration's `logging.level`/`logging.format` apply as
//! soon as a command has loaded it.

use std::sync::OnceLock;

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogLevel, LoggingConfig};

static INITIALISED: OnceLock<()> = OnceLock::new();

fn install(filter: EnvFilter, format: LogFormat) {
    INITIALISED.get_or_init(|| {
        let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false);
        // A second subscriber cannot be installed; the first one wins.
        let _ = match format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => builder.json().try_init(),
        };
    });
}

/// Called by `main`: `-v`/`-vv` or `SCE_LOG` decide now; otherwise wait for the configuration.
pub fn init_from_command_line(verbose: u8) {
    let filter = match verbose {
        0 => EnvFilter::try_from_env("SCE_LOG").ok(),
        1 => Some(EnvFilter::new("sce=debug,warn")),
        _ => Some(EnvFilter::new("sce=trace,info")),
    };
    if let Some(filter) = filter {
        install(filter, LogFormat::Text);
    }
}

/// Applies the configuration's logging settings, unless the command line already chose.
pub fn apply(config: &LoggingConfig) {
    // sce reports its own failures in one line each; the libraries' logs (Turso's
    // I/O errors, say) are noise at the default level and only join from debug on.
    let level = match config.level {
        LogLevel::Error => "sce=error,off",
        LogLevel::Warn => "sce=warn,off",
        LogLevel::Info => "sce=info,off",
        LogLevel::Debug => "sce=debug,warn",
        LogLevel::Trace => "sce=trace,info",
    };
    install(EnvFilter::new(level), config.format);
}
