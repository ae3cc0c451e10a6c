//! Which servers answer in this run, and how many queries each may have in flight.
//!
//! A server that does not answer twice (timed out, or refused or unreachable) is marked
//! dead for the rest of the run: later queries to it fail at once with a named reason
//! instead of each waiting out its timeout and pacing (a dead DNS server used to
//! serialise a whole report at 3 s a query). Lookups run concurrently,
//! but each server only gets `limit` queries at a time, so a run never floods a registry
//! (its pacing and throttling rules still apply inside the clients).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

/// Unanswered queries after which a server counts as dead for the run.
pub const DEAD_AFTER_TIMEOUTS: u32 = 2;

/// Per-server timeout counts and in-flight queries; shared by reference across threads.
#[derive(Default)]
pub struct Health {
    state: Mutex<HashMap<String, Server>>,
    freed: Condvar,
}

#[derive(Default)]
struct Server {
    timeouts: u32,
    in_flight: usize,
}

/// Does an error text say the server did not answer (in time, or at all)?
pub fn is_no_answer(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    [
        "timed out",
        "timeout",
        "time out",
        "would block",
        "connection refused",
        "unreachable",
    ]
    .iter()
    .any(|k| e.contains(k))
}

impl Health {
    /// Why `server` is not asked any more, if it is dead.
    pub fn dead(&self, server: &str) -> Option<String> {
        let state = self.state.lock().expect("health lock");
        let timeouts = state.get(server).map_or(0, |s| s.timeouts);
        (timeouts >= DEAD_AFTER_TIMEOUTS).then(|| {
            format!(
                "{server}: not asked (it timed out {timeouts} times in this run and counts as dead)"
            )
        })
    }

    /// Runs `ask` once fewer than `limit` queries to `server` are in flight, and counts a
    /// timeout it reports.
    pub fn run<T>(
        &self,
        server: &str,
        limit: usize,
        ask: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        {
            let mut state = self.state.lock().expect("health lock");
            while state
                .get(server)
                .is_some_and(|s| s.in_flight >= limit.max(1))
            {
                state = self.freed.wait(state).expect("health lock");
            }
            state.entry(server.to_string()).or_default().in_flight += 1;
        }
        let result = ask();
        let mut state = self.state.lock().expect("health lock");
        let entry = state.entry(server.to_string()).or_default();
        entry.in_flight -= 1;
        if result.as_ref().is_err_and(|e| is_no_answer(e)) {
            entry.timeouts += 1;
        }
        drop(state);
        self.freed.notify_all();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_timeouts_make_a_server_dead_and_others_stay_alive() {
        let h = Health::default();
        let timeout = || Err::<(), _>("DNS 127.0.0.1:53: no answer (timed out)".to_string());
        assert!(h.run("a", 1, timeout).is_err());
        assert!(h.dead("a").is_none());
        assert!(
            h.run("a", 1, || Err::<(), _>("refused".to_string()))
                .is_err()
        );
        assert!(h.dead("a").is_none(), "a refusal is an answer");
        assert!(h.run("a", 1, timeout).is_err());
        assert!(h.dead("a").unwrap().contains("counts as dead"));
        assert!(h.dead("b").is_none());
    }

    #[test]
    fn in_flight_queries_per_server_are_bounded() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let h = Health::default();
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    h.run("srv", 2, || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                        Ok::<(), String>(())
                    })
                    .unwrap();
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
