//! Retrying database work under a [`RetryPolicy`], transient errors only.

use std::time::{Duration, Instant};

use crate::config::RetryPolicy;

/// Whether a turso error may go away if the same work is tried again.
pub fn is_transient(error: &turso::Error) -> bool {
    match error {
        turso::Error::Busy(_) | turso::Error::BusySnapshot(_) | turso::Error::IoError(..) => true,
        // The default locking mode reports another process's lock as a plain error.
        turso::Error::Error(message) => {
            let message = message.to_ascii_lowercase();
            message.contains("lock") || message.contains("busy")
        }
        _ => false,
    }
}

/// What became of retried work that did not succeed.
#[derive(Debug)]
pub struct GaveUp {
    /// The last error seen.
    pub last: turso::Error,
    /// Attempts made.
    pub attempts: u32,
    /// Time spent, in ms.
    pub elapsed_ms: u128,
    /// Whether the last error was transient (the budget ran out) or final.
    pub transient: bool,
}

/// Runs `work` until it succeeds, fails with a final error, or the policy's
/// attempts or time run out. Waits back off exponentially with jitter.
pub fn with_retry<T>(policy: &RetryPolicy, mut work: impl FnMut() -> Result<T, turso::Error>) -> Result<T, GaveUp> {
    let started = Instant::now();
    let budget = Duration::from_millis(policy.timeout_ms);
    let mut backoff_ms = policy.initial_backoff_ms;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match work() {
            Ok(value) => return Ok(value),
            Err(error) => {
                let transient = is_transient(&error);
                let elapsed = started.elapsed();
                if !transient || attempts >= policy.max_attempts || elapsed >= budget {
                    return Err(GaveUp { last: error, attempts, elapsed_ms: elapsed.as_millis(), transient });
                }
                tracing::debug!(attempts, %error, "transient database error; retrying");
                // Jitter spreads out processes that collided so they do not collide again.
                let wait = Duration::from_millis(fastrand::u64(backoff_ms / 2..=backoff_ms.max(1)));
                std::thread::sleep(wait.min(budget.saturating_sub(elapsed)));
                backoff_ms = (backoff_ms.max(1) * 2).min(policy.max_backoff_ms.max(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy =
        RetryPolicy { max_attempts: 4, timeout_ms: 10_000, initial_backoff_ms: 0, max_backoff_ms: 1 };

    #[test]
    fn transient_errors_are_retried_until_attempts_run_out() {
        let mut calls = 0;
        let result: Result<(), _> = with_retry(&POLICY, || {
            calls += 1;
            Err(turso::Error::Busy("busy".into()))
        });
        let gave_up = result.unwrap_err();
        assert_eq!((calls, gave_up.attempts, gave_up.transient), (4, 4, true));
    }

    #[test]
    fn final_errors_are_not_retried() {
        let mut calls = 0;
        let result: Result<(), _> = with_retry(&POLICY, || {
            calls += 1;
            Err(turso::Error::Constraint("UNIQUE".into()))
        });
        assert!(!result.unwrap_err().transient);
        assert_eq!(calls, 1);
    }

    #[test]
    fn success_after_a_transient_error() {
        let mut calls = 0;
        let result = with_retry(&POLICY, || {
            calls += 1;
            if calls < 3 {
                Err(turso::Error::Error("Locking error: locked by another process".into()))
            } else {
                Ok(calls)
            }
        });
        assert_eq!(result.unwrap(), 3);
    }
}
