//! `sce config show|validate|schema|init`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::Value;

use crate::commands::{CommandError, CommandHelper};
use crate::config::{self as cfg, Resolved, SCHEMA};
use crate::exit::ExitCode;

/// Configuration commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    // A variant over an Args struct is documented with `#[doc = concat!(…)]`: rustdoc
    // reads it, clap does not, so its help text stays the Args struct's doc comment
    // (a `///` here would replace it).
    #[doc = concat!("Shows which layer each configuration value comes from.")]
    Show(ShowArgs),
    #[doc = concat!("Checks configuration files before a hook meets them.")]
    Validate(ValidateArgs),
    #[doc = concat!("Prints the schema, for editors and other tools to check files against.")]
    Schema(SchemaArgs),
    #[doc = concat!("Writes a starting configuration file to edit.")]
    Init(InitArgs),
}

/// Print every resolved configuration value with the layer it came from.
///
/// Layers, highest first: --config flags, SCE_* environment variables (e.g.
/// SCE_AGENT_TRACE_NOTES_REF), the repository's .sce/config.{json,pkl}, the global
/// $XDG_CONFIG_HOME/sce/config.{json,pkl}, defaults. Outside a repository (and without
/// -R) only the global settings apply.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Print {"key": {"value": …, "source": …}} as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Check a configuration file (JSON or Pkl), or every layer that applies here; lists every problem.
///
/// With --json prints {"valid", "file", "problems": […]} ("file" is null for the layers)
/// and exits as without it (5 when invalid).
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The file to check (default: every layer that applies in the current repository).
    pub file: Option<PathBuf>,
    /// Print the verdict and every problem as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Print the JSON schema of sce's configuration (generated from config/pkl/SceConfig.pkl).
#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// Write a commented starter configuration: .sce/config.pkl (or config.json with --json).
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write JSON (no comments) instead of Pkl.
    #[arg(long)]
    pub json: bool,
    /// Write the global file ($XDG_CONFIG_HOME/sce/) instead of the repository's.
    #[arg(long)]
    pub global: bool,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Runs a config command.
pub fn run(ctx: &CommandHelper, command: ConfigCommand) -> Result<ExitCode, CommandError> {
    match command {
        ConfigCommand::Show(args) => show(ctx, args),
        ConfigCommand::Validate(args) => validate(ctx, args),
        ConfigCommand::Schema(_) => {
            print!("{SCHEMA}");
            Ok(ExitCode::Ok)
        }
        ConfigCommand::Init(args) => init(ctx, args),
    }
}

fn show(ctx: &CommandHelper, args: ShowArgs) -> Result<ExitCode, CommandError> {
    let repo = ctx.repo_if_any()?;
    let resolved = Resolved::resolve(repo.map(|r| r.location.config_scope()), false)?;
    let entries = resolved.entries();
    if args.json {
        let mut out = serde_json::Map::new();
        for (key, value, layer) in entries {
            out.insert(key, serde_json::json!({"value": value, "source": layer.to_string()}));
        }
        println!("{}", Value::Object(out));
    } else {
        let width = entries.iter().map(|(k, v, _)| k.len() + v.to_string().len()).max().unwrap_or(0) + 3;
        for (key, value, layer) in entries {
            let left = format!("{key} = {value}");
            println!("{left:<width$}  # {layer}");
        }
    }
    Ok(ExitCode::Ok)
}

fn validate(ctx: &CommandHelper, args: ValidateArgs) -> Result<ExitCode, CommandError> {
    let Some(file) = args.file else {
        let repo = ctx.repo_if_any()?;
        let resolved = Resolved::resolve(repo.map(|r| r.location.config_scope()), false);
        if args.json {
            let problems: Vec<String> = resolved.as_ref().err().map(ToString::to_string).into_iter().collect();
            println!("{}", serde_json::json!({"valid": problems.is_empty(), "file": null, "problems": problems}));
        }
        return match resolved {
            Ok(_) => {
                if !args.json {
                    println!("configuration is valid");
                }
                Ok(ExitCode::Ok)
            }
            Err(e) => Err(CommandError::from_error(ExitCode::Config, e)),
        };
    };
    let value = if file.extension().is_some_and(|e| e == "pkl") {
        cfg::evaluate_pkl_file(&file)?
    } else {
        let text = std::fs::read_to_string(&file).map_err(|e| {
            CommandError::with_source(ExitCode::Config, format!("cannot read {}: {e}", file.display()), e)
        })?;
        serde_json::from_str(&text).map_err(|e| {
            CommandError::with_source(ExitCode::Config, format!("{} is not valid JSON: {e}", file.display()), e)
        })?
    };
    let problems = cfg::problems_of(&value);
    if args.json {
        println!(
            "{}",
            serde_json::json!({"valid": problems.is_empty(), "file": file.display().to_string(), "problems": problems})
        );
    }
    if problems.is_empty() {
        if !args.json {
            println!("{} is valid", file.display());
        }
        return Ok(ExitCode::Ok);
    }
    if !args.json {
        for problem in &problems {
            println!("{}: {problem}", file.display());
        }
    }
    Err(CommandError::new(
        ExitCode::Config,
        format!("{} has {} problem(s); see `sce config schema` for every key", file.display(), problems.len()),
    ))
}

fn init(ctx: &CommandHelper, args: InitArgs) -> Result<ExitCode, CommandError> {
    let dir = if args.global {
        cfg::global_dir()
            .ok_or_else(|| CommandError::new(ExitCode::Config, "neither XDG_CONFIG_HOME nor HOME is set"))?
    } else {
        ctx.repo()?.location.root.join(".sce")
    };
    let path = dir.join(if args.json { "config.json" } else { "config.pkl" });
    if path.exists() && !args.force {
        return Err(CommandError::new(
            ExitCode::Config,
            format!("{} exists; pass --force to replace it", path.display()),
        ));
    }
    let text = if args.json { cfg::starter_json() } else { cfg::starter_pkl() };
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| CommandError::with_source(ExitCode::Config, format!("cannot write {}: {e}", path.display()), e))?;
    println!("created {}", path.display());
    Ok(ExitCode::Ok)
}
