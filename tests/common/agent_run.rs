//! Running a real agent binary the way every end-to-end test does: its own process
//! group, stdin closed, output to anonymous files, killed with its group after a
//! timeout, and an environment cleared of the agent's own variables.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Removes from `cmd`'s environment every variable named in `names` or starting with
/// one of `prefixes`: the agent sees only what the test gives it.
pub fn clear_env(cmd: &mut Command, prefixes: &[&str], names: &[&str]) {
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy();
        if prefixes.iter().any(|p| n.starts_with(p)) || names.contains(&n.as_ref()) {
            cmd.env_remove(&name);
        }
    }
}

/// Runs `cmd` (called `label` in messages) in its own process group with stdin
/// closed. Output goes to anonymous files, not pipes: hook or tool processes that
/// outlive the agent cannot keep a reader blocked. After `timeout` the whole group
/// (the agent and the hooks and shells it started) is killed and a line saying so
/// is appended to stderr.
pub fn run_agent(mut cmd: Command, label: &str, timeout: Duration) -> Output {
    let stdout = tempfile::tempfile().unwrap();
    let stderr = tempfile::tempfile().unwrap();
    cmd.stdin(Stdio::null()).stdout(stdout.try_clone().unwrap()).stderr(stderr.try_clone().unwrap()).process_group(0);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {label} ({:?}): {e}", cmd.get_program()));
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |mut f: File| {
        let mut buf = Vec::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut buf).unwrap();
        buf
    };
    let mut stderr = read(stderr);
    if timed_out {
        stderr.extend_from_slice(format!("\n[test harness] {label} killed after {timeout:?}\n").as_bytes());
    }
    Output { status, stdout: read(stdout), stderr }
}
