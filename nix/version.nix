# The version of sce, read from the workspace manifest so it can never drift:
# cli/Cargo.toml has `version.workspace = true`, the number itself lives in the
# root Cargo.toml under [workspace.package]. nix/check evaluates this same file.
(builtins.fromTOML (builtins.readFile ../Cargo.toml)).workspace.package.version
