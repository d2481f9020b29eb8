//! Output for people: color on terminals (`color`) and long output through a
//! pager (`pager`), decided once per command from the flags, the environment and
//! whether stdout is a terminal. Machine output (`--json`, hooks) never goes
//! through either: it is never colored and never paged by hooks.

pub mod color;
pub mod pager;

use std::io::{IsTerminal, Write};

pub use color::{ColorChoice, ColorEnv, Painter, Tone, use_color};
pub use pager::{PagerEnv, pager_command};

/// What the command line asked of the output layer (`--color`, `--no-pager`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputSettings {
    /// When to color.
    pub color: ColorChoice,
    /// `false` with `--no-pager`.
    pub paging: bool,
}

/// Where a command's text for people goes, and how it looks.
#[derive(Debug, Clone)]
pub struct Ui {
    painter: Painter,
    pager: Option<String>,
}

impl Ui {
    /// The output of a command: `json` output is never colored; `core_pager` is the
    /// repository's `core.pager`, when the command has a repository.
    pub fn new(settings: OutputSettings, json: bool, core_pager: Option<String>) -> Ui {
        let terminal = std::io::stdout().is_terminal();
        let colored = !json && use_color(settings.color, ColorEnv::from_process(), terminal);
        let pager = pager_command(settings.paging, terminal, &PagerEnv::from_process(core_pager));
        Ui { painter: Painter::new(colored), pager }
    }

    /// Output that is neither colored nor paged.
    pub fn plain() -> Ui {
        Ui { painter: Painter::new(false), pager: None }
    }

    /// How to color text (a no-op painter when color is off).
    pub fn painter(&self) -> Painter {
        self.painter
    }

    /// The pager the text of [`Ui::page`] goes through, if any.
    pub fn pager(&self) -> Option<&str> {
        self.pager.as_deref()
    }

    /// Writes long output: through the pager when there is one, else to stdout.
    /// A reader that stopped reading (a closed pipe, a pager quit early) is no error.
    pub fn page(&self, text: &str) {
        pager::write_through(self.pager.as_deref(), text);
    }

    /// Writes `text` to stdout as it is.
    pub fn print(&self, text: &str) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}
