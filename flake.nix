{
  description = "sce: records, for every git commit, which lines an AI coding agent wrote";

  inputs = {
    # The crate needs Rust >= 1.89; nixos-unstable ships a newer one.
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
    flake-utils.url = "github:numtide/flake-utils";
  };

  outputs = { self, nixpkgs, flake-utils }:
    flake-utils.lib.eachDefaultSystem (system:
      let
        pkgs = nixpkgs.legacyPackages.${system};
        sce = pkgs.callPackage ./nix/package.nix { };
      in
      {
        packages = {
          default = sce;
          inherit sce;
        };

        apps.default = {
          type = "app";
          program = "${self.packages.${system}.default}/bin/sce";
          meta.description = sce.meta.description;
        };

        checks = import ./nix/checks.nix {
          inherit sce;
          inherit (pkgs) rustPlatform clippy;
        };

        devShells.default = pkgs.mkShell {
          packages = with pkgs; [
            cargo
            rustc
            clippy
            rustfmt
            nodejs # the OpenCode plugin and its tests (node >= 20)
            git
            python3 # the fake model server of the OpenCode end-to-end test
            sqlite
            pkl # config/pkl -> config/schema
          ];
          RUST_SRC_PATH = "${pkgs.rustPlatform.rustLibSrc}";
        };
      });
}
