//! npm packages the tests need (agent binaries), fetched once into a cache outside
//! the repository, checked against the registry's integrity, and unpacked atomically.
//!
//! The cache is `$SCE_TEST_CACHE/npm/`, else `${XDG_CACHE_HOME:-$HOME/.cache}/sce-tests/npm/`;
//! one entry per package and version, `<package with '/' replaced by '+'>@<version>/`,
//! holding `package/` (the unpacked `npm pack` tarball) and `integrity` (the
//! registry's `dist.integrity` it was checked against).
//!
//! A missing entry is made in a temp dir beside it: `npm view PKG@VER dist.integrity`,
//! `npm pack PKG@VER`, the tarball's SHA-512 compared with that integrity (computed by
//! `openssl dgst -sha512 -binary`, or python3's hashlib where openssl is missing: no
//! SHA-512 crate is a dependency of the crate under test), `tar xzf`, then one rename.
//! Test processes racing for the same entry each build their own temp dir; the first
//! rename wins and the others use its result.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The unpacked `package/` directory of `npm pack <package>@<version>`, fetched and
/// checked on first use. Panics with what went wrong (npm missing, registry error,
/// integrity mismatch).
pub fn package_dir(package: &str, version: &str) -> PathBuf {
    // Tests of one process share an entry without fetching it twice.
    static IN_PROCESS: Mutex<()> = Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());

    let root = cache_root();
    let entry = root.join(format!("{}@{version}", package.replace('/', "+")));
    let unpacked = entry.join("package");
    if unpacked.is_dir() {
        return unpacked;
    }
    let spec = format!("{package}@{version}");
    std::fs::create_dir_all(&root)
        .unwrap_or_else(|e| panic!("cannot create the test cache {} for {spec}: {e}", root.display()));
    let temp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}@{version}-", package.replace('/', "+")))
        .tempdir_in(&root)
        .unwrap_or_else(|e| panic!("cannot make a temp dir in {}: {e}", root.display()));

    let expected = registry_integrity(&spec);
    let tarball = pack(&spec, temp.path());
    let actual = sha512_integrity(&tarball);
    assert_eq!(
        actual,
        expected,
        "{spec}: the tarball npm fetched ({}) does not match the registry's dist.integrity",
        tarball.display()
    );
    let out = run(Command::new("tar").arg("xzf").arg(&tarball).current_dir(temp.path()), "tar", &spec);
    assert!(out.status.success(), "tar could not unpack {}: {}", tarball.display(), stderr(&out));
    assert!(temp.path().join("package").is_dir(), "{spec}: the tarball has no package/ directory");
    std::fs::remove_file(&tarball).unwrap();
    std::fs::write(temp.path().join("integrity"), format!("{expected}\n")).unwrap();

    let temp = temp.keep();
    match std::fs::rename(&temp, &entry) {
        Ok(()) => {}
        // Another process made the entry first: use it, drop ours.
        Err(_) if unpacked.is_dir() => {
            let _ = std::fs::remove_dir_all(&temp);
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&temp);
            panic!("cannot move {} to {}: {e}", temp.display(), entry.display());
        }
    }
    unpacked
}

/// `$SCE_TEST_CACHE/npm`, else `${XDG_CACHE_HOME:-$HOME/.cache}/sce-tests/npm`.
fn cache_root() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = non_empty("SCE_TEST_CACHE") {
        return dir.join("npm");
    }
    let cache = non_empty("XDG_CACHE_HOME").or_else(|| non_empty("HOME").map(|home| home.join(".cache")));
    let cache = cache.unwrap_or_else(|| {
        panic!("no cache directory for the tests' npm packages: set SCE_TEST_CACHE, XDG_CACHE_HOME or HOME")
    });
    cache.join("sce-tests/npm")
}

/// The registry's `dist.integrity` of `spec` (`sha512-<base64>`).
fn registry_integrity(spec: &str) -> String {
    let out = run(Command::new("npm").args(["view", spec, "dist.integrity", "--loglevel=error"]), "npm", spec);
    assert!(
        out.status.success(),
        "`npm view {spec} dist.integrity` failed (registry unreachable, or no such package or version?): {}",
        stderr(&out)
    );
    let integrity = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        integrity.starts_with("sha512-"),
        "`npm view {spec} dist.integrity` gave no sha512 integrity ({integrity:?}): does the registry serve that version?"
    );
    integrity
}

/// `npm pack SPEC` into `dir`; returns the tarball.
fn pack(spec: &str, dir: &Path) -> PathBuf {
    let out = run(
        Command::new("npm")
            .args(["pack", spec, "--silent", "--loglevel=error", "--pack-destination"])
            .arg(dir)
            .current_dir(dir),
        "npm",
        spec,
    );
    assert!(
        out.status.success(),
        "`npm pack {spec}` failed (registry unreachable, or no such package or version?): {}",
        stderr(&out)
    );
    let tarballs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .collect();
    assert_eq!(tarballs.len(), 1, "`npm pack {spec}` left {tarballs:?} in {}", dir.display());
    tarballs.into_iter().next().unwrap()
}

/// `sha512-<base64 of the SHA-512 of file>`, by openssl or else python3.
fn sha512_integrity(file: &Path) -> String {
    let openssl = Command::new("openssl").args(["dgst", "-sha512", "-binary"]).arg(file).output();
    let digest = match openssl {
        Ok(out) => {
            assert!(out.status.success(), "openssl dgst -sha512 {} failed: {}", file.display(), stderr(&out));
            out.stdout
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let script = "import hashlib, sys\nh = hashlib.sha512()\nwith open(sys.argv[1], 'rb') as f:\n    \
                          for block in iter(lambda: f.read(1 << 20), b''):\n        h.update(block)\n\
                          sys.stdout.buffer.write(h.digest())\n";
            let out = Command::new("python3").arg("-c").arg(script).arg(file).output().unwrap_or_else(|e| {
                panic!("checking an npm tarball's integrity needs openssl or python3 on PATH; neither runs: {e}")
            });
            assert!(out.status.success(), "python3 hashlib on {} failed: {}", file.display(), stderr(&out));
            out.stdout
        }
        Err(e) => panic!("cannot run openssl: {e}"),
    };
    assert_eq!(digest.len(), 64, "a SHA-512 digest is 64 bytes, got {}", digest.len());
    format!("sha512-{}", base64(&digest))
}

/// Standard base64 with padding (RFC 4648 §4), as npm's integrity strings use.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// Runs `command`; a missing program panics with what it was needed for.
fn run(command: &mut Command, program: &str, spec: &str) -> Output {
    command.output().unwrap_or_else(|e| {
        if e.kind() == ErrorKind::NotFound {
            let hint = if program == "npm" { " (install Node.js with npm)" } else { "" };
            panic!("{program} is needed to fetch {spec} for the tests, and is not on PATH{hint}")
        }
        panic!("cannot run {program} to fetch {spec}: {e}")
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
