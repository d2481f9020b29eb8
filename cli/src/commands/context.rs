//! The context every command runs in, in the spirit of jj's `CommandHelper`:
//! the global flags, and the repository, configuration and store paths, each
//! opened once, when a command first asks for it (configuration commands run
//! outside repositories, `doctor` checks a configuration it may not load).

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::config::{Config, ConfigError};
use crate::git::{GitError, Repo};
use crate::output::{ColorChoice, OutputSettings, Ui};
use crate::store::StorePaths;

/// When to color (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE colors pipes too).
    #[default]
    Auto,
    /// Always, even when piped.
    Always,
    /// Never.
    Never,
}

/// Flags every command takes.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Log what sce does on stderr (-v debug, -vv trace). Quiet by default.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Set a configuration key for this run, e.g. -c logging.level=debug (highest precedence; repeatable).
    #[arg(short = 'c', long = "config", global = true, value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// The repository to work in (default: the one containing the current directory; git hooks
    /// always use the repository git runs them in).
    #[arg(short = 'R', long = "repo", global = true, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Color output for people: auto (on a terminal, unless NO_COLOR), always, never. JSON is never colored.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    /// Do not send long output (blame, stats, trace show, sessions) through the pager.
    #[arg(long, global = true)]
    pub no_pager: bool,
}

/// Why the context could not open what a command asked for.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The current directory is unreadable.
    #[error("cannot read the current directory: {0}")]
    Cwd(#[source] std::io::Error),
    /// No repository, or not one sce can use.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// The context of one command: flags, and what they open, each opened once.
pub struct CommandHelper {
    repo_arg: Option<PathBuf>,
    output: OutputSettings,
    repo: OnceCell<Repo>,
    config: OnceCell<Config>,
    paths: OnceCell<StorePaths>,
}

impl CommandHelper {
    /// The context of the flags given.
    pub fn new(global: &GlobalArgs) -> CommandHelper {
        let color = match global.color {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        };
        CommandHelper {
            repo_arg: global.repo.clone(),
            output: OutputSettings { color, paging: !global.no_pager },
            repo: OnceCell::new(),
            config: OnceCell::new(),
            paths: OnceCell::new(),
        }
    }

    /// `-R/--repo`, when given.
    pub fn repo_arg(&self) -> Option<&Path> {
        self.repo_arg.as_deref()
    }

    /// The process's current directory.
    pub fn cwd(&self) -> Result<PathBuf, ContextError> {
        std::env::current_dir().map_err(ContextError::Cwd)
    }

    /// The repository: `-R/--repo`, else the one containing the current directory
    /// (`GIT_DIR` honoured, as in git hooks).
    pub fn repo(&self) -> Result<&Repo, ContextError> {
        self.repo_from(None)
    }

    /// The repository: `-R/--repo`, else the one containing `fallback` (an agent's
    /// working directory, say), else the current directory's. The first call opens it.
    pub fn repo_from(&self, fallback: Option<&Path>) -> Result<&Repo, ContextError> {
        if let Some(repo) = self.repo.get() {
            return Ok(repo);
        }
        let start = match (self.repo_arg(), fallback) {
            (Some(dir), _) | (None, Some(dir)) => dir.to_path_buf(),
            (None, None) => self.cwd()?,
        };
        let repo = Repo::discover(&start)?;
        Ok(self.repo.get_or_init(|| repo))
    }

    /// The repository if there is one here; `None` outside repositories, unless
    /// `-R/--repo` named one (then its absence is an error).
    pub fn repo_if_any(&self) -> Result<Option<&Repo>, ContextError> {
        match self.repo() {
            Ok(repo) => Ok(Some(repo)),
            Err(ContextError::Git(_)) if self.repo_arg.is_none() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The configuration of the repository, checked: an invalid one is an error.
    /// Applies its logging settings.
    pub fn config(&self) -> Result<&Config, ContextError> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let config = Config::load(Some(self.repo()?.location.config_scope()))?;
        crate::logging::apply(&config.logging);
        Ok(self.config.get_or_init(|| config))
    }

    /// The configuration as hooks read it: never refused, what is valid of it
    /// applies (problems are warned about). Applies its logging settings.
    pub fn hook_config(&self) -> Result<&Config, ContextError> {
        if let Some(config) = self.config.get() {
            return Ok(config);
        }
        let config = Config::load_for_hook(self.repo()?.location.config_scope());
        crate::logging::apply(&config.logging);
        Ok(self.config.get_or_init(|| config))
    }

    /// Where sce keeps its files in the repository, after the configuration
    /// already loaded (the checked one when none was).
    pub fn paths(&self) -> Result<&StorePaths, ContextError> {
        if let Some(paths) = self.paths.get() {
            return Ok(paths);
        }
        let paths = self.repo()?.location.store_paths(self.config()?);
        Ok(self.paths.get_or_init(|| paths))
    }

    /// Repository, checked configuration and store paths at once.
    pub fn workspace(&self) -> Result<(&Repo, &Config, &StorePaths), ContextError> {
        Ok((self.repo()?, self.config()?, self.paths()?))
    }

    /// Repository, hook configuration and store paths at once (for hooks).
    pub fn hook_workspace(&self) -> Result<(&Repo, &Config, &StorePaths), ContextError> {
        let repo = self.repo()?;
        let config = self.hook_config()?;
        Ok((repo, config, self.paths()?))
    }

    /// The output for people of a command (`json`: never colored); pages with the
    /// repository's `core.pager` when a repository is open.
    pub fn ui(&self, json: bool) -> Ui {
        let core_pager = self.repo.get().and_then(Repo::configured_pager);
        Ui::new(self.output, json, core_pager)
    }
}
