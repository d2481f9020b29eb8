//! Taking turns at the DB: sce processes queue on a kernel file lock beside it
//! instead of polling Turso's exclusive lock, so a waiting process starts the
//! moment the previous one is done.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Why no turn was had.
#[derive(Debug)]
pub enum TurnError {
    /// Another process held the turn past the budget.
    TimedOut,
    /// The lock file could not be opened or locked.
    Io(std::io::Error),
}

/// Blocks until this process holds `lock_path` exclusively, or `budget` passes.
/// The turn lasts as long as the returned file is open.
pub fn wait_for_turn(lock_path: &Path, budget: Duration) -> Result<File, TurnError> {
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(lock_path).map_err(TurnError::Io)?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => return Err(TurnError::Io(e)),
    }
    // Wait in the kernel's queue on a clone of the handle; give up after the budget.
    // A waiter that gets the lock after we gave up holds it only until this process exits.
    let waiter = file.try_clone().map_err(TurnError::Io)?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(waiter.lock());
    });
    match receiver.recv_timeout(budget) {
        Ok(Ok(())) => Ok(file),
        Ok(Err(e)) => Err(TurnError::Io(e)),
        Err(_) => Err(TurnError::TimedOut),
    }
}
