# sce, built from the committed Cargo.lock. Called with `pkgs.callPackage`.
{ lib, rustPlatform }:

let
  fs = lib.fileset;
in
rustPlatform.buildRustPackage {
  pname = "sce";
  version = import ./version.nix;

  # Only what the build reads: the manifests, the crate, the files it embeds with
  # include_str! (plugins/opencode/sce-agent-trace.ts, config/schema/*.json,
  # cli/src/record/*.json, cli/migrations/*.sql) and tests/, whose main.rs cli/Cargo.toml
  # names as its [[test]] target (needed by `cargo clippy --all-targets` in the checks).
  # Editing README.md, bench/ or the Nix files does not rebuild sce.
  src = fs.toSource {
    root = ../.;
    fileset = fs.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../cli
      ../tests
      ../config/schema
      (fs.difference ../plugins (fs.unions [
        (fs.maybeMissing ../plugins/opencode/node_modules)
        (fs.maybeMissing ../plugins/opencode/dist)
      ]))
    ];
  };

  cargoLock.lockFile = ../Cargo.lock;
  cargoBuildFlags = [ "-p" "sce" ];

  # The test suite is not run inside the sandbox: the end-to-end tests need git
  # repositories, npm and an OpenCode binary fetched over the network. The unit
  # tests (`cargo test --lib`) and clippy run as flake checks instead (nix/checks.nix).
  doCheck = false;

  meta = {
    description = "Records, for every git commit, which lines an AI coding agent wrote, in which session, with which model";
    license = lib.licenses.asl20;
    mainProgram = "sce";
  };
}
