//! Color: the decision (flag, then `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR`,
//! `TERM` and the terminal, as anstream, git and jj read them) and the styles of
//! the roles text plays.

use anstyle::{AnsiColor, Style};

/// When to color (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    /// Always, even when piped.
    Always,
    /// Never.
    Never,
}

/// What the environment says about color.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ColorEnv {
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` is set and not `0`.
    pub clicolor_force: bool,
    /// `CLICOLOR`: `Some(false)` when `0`, `Some(true)` when set otherwise.
    pub clicolor: Option<bool>,
    /// `TERM` is set and not `dumb` (always on Windows).
    pub term_supports_color: bool,
}

impl ColorEnv {
    /// The process environment, read by `anstyle-query` (anstream's reader).
    pub fn from_process() -> ColorEnv {
        ColorEnv {
            no_color: anstyle_query::no_color(),
            clicolor_force: anstyle_query::clicolor_force(),
            clicolor: anstyle_query::clicolor(),
            term_supports_color: anstyle_query::term_supports_color(),
        }
    }
}

/// Whether to color: `always` and `never` decide; `auto` colors a terminal
/// unless `NO_COLOR` is set, `CLICOLOR=0` or `TERM=dumb`, and colors even a
/// pipe under `CLICOLOR_FORCE` (`NO_COLOR` wins over it, as in anstream).
pub fn use_color(choice: ColorChoice, env: ColorEnv, stdout_is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env.no_color {
                false
            } else if env.clicolor_force {
                true
            } else if env.clicolor == Some(false) {
                false
            } else {
                stdout_is_terminal && (env.term_supports_color || env.clicolor == Some(true))
            }
        }
    }
}

/// The roles colored text plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A commit id (yellow, as git shows them).
    Commit,
    /// A line or share an agent wrote.
    Ai,
    /// A line an agent wrote and a person changed.
    Mixed,
    /// A line of unknown origin.
    Unknown,
    /// Something absent or unimportant (no record, unchanged).
    Dim,
    /// A heading.
    Heading,
    /// A check that passed, something created or updated.
    Good,
    /// Information worth a look.
    Info,
    /// A problem, something removed.
    Bad,
}

impl Tone {
    /// The style of the role.
    pub fn style(self) -> Style {
        match self {
            Tone::Commit => AnsiColor::Yellow.on_default(),
            Tone::Ai => AnsiColor::Cyan.on_default(),
            Tone::Mixed => AnsiColor::Magenta.on_default(),
            Tone::Unknown => Style::new(),
            Tone::Dim => Style::new().dimmed(),
            Tone::Heading => Style::new().bold(),
            Tone::Good => AnsiColor::Green.on_default(),
            Tone::Info => AnsiColor::Blue.on_default(),
            Tone::Bad => AnsiColor::Red.on_default().bold(),
        }
    }
}

/// Colors text when color is on; leaves it exactly as it is when off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Painter {
    enabled: bool,
}

impl Painter {
    /// A painter that colors when `enabled`.
    pub fn new(enabled: bool) -> Painter {
        Painter { enabled }
    }

    /// Whether it colors.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    /// `text` in the style of `tone` (pad before painting: escapes have no width).
    pub fn paint(self, tone: Tone, text: &str) -> String {
        let style = tone.style();
        if !self.enabled || style == Style::new() {
            return text.to_string();
        }
        format!("{style}{text}{style:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: ColorEnv =
        ColorEnv { no_color: false, clicolor_force: false, clicolor: None, term_supports_color: true };

    #[test]
    fn the_flag_decides_whatever_the_environment_and_terminal() {
        let envs = [
            PLAIN,
            ColorEnv { no_color: true, ..PLAIN },
            ColorEnv { clicolor_force: true, ..PLAIN },
            ColorEnv { clicolor: Some(false), ..PLAIN },
            ColorEnv { term_supports_color: false, ..PLAIN },
        ];
        for env in envs {
            for tty in [false, true] {
                assert!(use_color(ColorChoice::Always, env, tty), "{env:?} tty={tty}");
                assert!(!use_color(ColorChoice::Never, env, tty), "{env:?} tty={tty}");
            }
        }
    }

    #[test]
    fn auto_colors_a_terminal_and_never_a_pipe() {
        assert!(use_color(ColorChoice::Auto, PLAIN, true));
        assert!(!use_color(ColorChoice::Auto, PLAIN, false));
    }

    #[test]
    fn auto_honours_no_color_clicolor_and_dumb_terminals() {
        assert!(!use_color(ColorChoice::Auto, ColorEnv { no_color: true, ..PLAIN }, true));
        assert!(!use_color(ColorChoice::Auto, ColorEnv { clicolor: Some(false), ..PLAIN }, true));
        assert!(!use_color(ColorChoice::Auto, ColorEnv { term_supports_color: false, ..PLAIN }, true));
        // CLICOLOR=1 vouches for a terminal TERM does not describe, never for a pipe.
        let vouched = ColorEnv { term_supports_color: false, clicolor: Some(true), ..PLAIN };
        assert!(use_color(ColorChoice::Auto, vouched, true));
        assert!(!use_color(ColorChoice::Auto, vouched, false));
    }

    #[test]
    fn clicolor_force_colors_a_pipe_unless_no_color() {
        assert!(use_color(ColorChoice::Auto, ColorEnv { clicolor_force: true, ..PLAIN }, false));
        assert!(use_color(ColorChoice::Auto, ColorEnv { clicolor_force: true, clicolor: Some(false), ..PLAIN }, false));
        assert!(!use_color(ColorChoice::Auto, ColorEnv { clicolor_force: true, no_color: true, ..PLAIN }, true));
    }

    #[test]
    fn a_painter_that_is_off_leaves_text_byte_identical() {
        assert_eq!(Painter::new(false).paint(Tone::Ai, "ai"), "ai");
        let painted = Painter::new(true).paint(Tone::Ai, "ai");
        assert!(
            painted.starts_with("\u{1b}[") && painted.contains("ai") && painted.ends_with("\u{1b}[0m"),
            "{painted:?}"
        );
        // A tone without a style adds nothing even when on.
        assert_eq!(Painter::new(true).paint(Tone::Unknown, "unknown"), "unknown");
    }
}
