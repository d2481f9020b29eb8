# `nix flake check`: clippy and the unit tests, offline, against the same source
# and vendored dependencies (from Cargo.lock) as the package.
{ rustPlatform, clippy, sce }:

let
  cargoCheck = name: extraInputs: command:
    rustPlatform.buildRustPackage {
      pname = "sce-${name}";
      inherit (sce) version src;
      cargoLock.lockFile = ../Cargo.lock;
      # Plain cargo, not the cargo-auditable wrapper: nothing is shipped here.
      auditable = false;
      nativeBuildInputs = extraInputs;
      buildPhase = ''
        runHook preBuild
        export HOME="$TMPDIR"
        ${command}
        runHook postBuild
      '';
      installPhase = ''
        runHook preInstall
        mkdir -p "$out"
        echo ${builtins.toJSON command} > "$out/passed"
        runHook postInstall
      '';
      doCheck = false;
      dontFixup = true;
    };
in
{
  clippy = cargoCheck "clippy" [ clippy ]
    "cargo clippy --offline --locked --all-targets -- -D warnings";

  # Unit tests only: they need no network, git or npm (the end-to-end tests in
  # tests/ do, so they stay with `tests/run` outside Nix).
  unit-tests = cargoCheck "unit-tests" [ ]
    "cargo test --offline --locked -p sce --lib";
}
