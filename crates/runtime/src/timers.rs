//! Timers: every pending timer is a row in the store (written with the step that set it) and an
//! entry here. One task per runtime sleeps until the earliest entry and fires what is due, so
//! no task sleeps per waiting execution.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baton_engine::{Event, TimerId};
use baton_store::Millis;
use tokio::sync::Notify;

use crate::Runtime;

#[derive(Default)]
pub(crate) struct Timers {
    pending: Mutex<BTreeSet<(Millis, String, TimerId)>>,
    changed: Arc<Notify>,
    stopped: AtomicBool,
}

impl Timers {
    pub fn schedule(&self, arn: &str, timer: TimerId, at: Millis) {
        tracing::debug!(%arn, ?timer, at, "timer set");
        let mut pending = self.pending.lock().expect("timers");
        let earliest = pending.first().is_none_or(|(first, _, _)| at < *first);
        pending.insert((at, arn.to_string(), timer));
        drop(pending);
        if earliest {
            self.changed.notify_one();
        }
    }

    pub fn cancel(&self, arn: &str, timer: TimerId, at: Millis) {
        self.pending
            .lock()
            .expect("timers")
            .remove(&(at, arn.to_string(), timer));
    }

    pub fn shutdown(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Removes and returns the timers due at `now`, and when the next one is due.
    fn due(&self, now: Millis) -> (Vec<(Millis, String, TimerId)>, Option<Millis>) {
        let mut pending = self.pending.lock().expect("timers");
        let mut due = Vec::new();
        while let Some(first) = pending.first() {
            if first.0 > now {
                break;
            }
            due.extend(pending.pop_first());
        }
        (due, pending.first().map(|f| f.0))
    }
}

/// Starts the task that fires timers.
pub(crate) fn spawn(runtime: &Arc<Runtime>) {
    let weak = Arc::downgrade(runtime);
    tokio::spawn(async move {
        loop {
            let Some(runtime) = weak.upgrade() else {
                return;
            };
            if runtime.timers.stopped.load(Ordering::SeqCst) {
                return;
            }
            let now = crate::now();
            let (due, next) = runtime.timers.due(now);
            for (at, arn, timer) in due {
                let r = runtime.clone();
                tokio::spawn(async move {
                    // A store that failed (a dropped connection, a database restarting) leaves
                    // the execution as it was: fire again a little later, or the Wait would
                    // never end. A timer another node now runs, or that moved, goes nowhere.
                    let mut backoff = crate::Backoff::new();
                    loop {
                        let event = Event::TimerFired {
                            timer,
                            time: crate::now().max(at),
                        };
                        match r.offer(&arn, event, Some(at)).await {
                            Ok(applied) => {
                                tracing::debug!(%arn, ?timer, at, ?applied, "timer fired");
                                return;
                            }
                            Err(baton_store::Error::Fenced { .. }) => {
                                tracing::debug!(%arn, ?timer, at, "timer fired on a partition taken over");
                                return;
                            }
                            Err(e) => {
                                tracing::error!(%arn, error = %e, "could not fire a timer: trying again");
                            }
                        }
                        if r.timers.stopped.load(Ordering::SeqCst) || !backoff.wait().await {
                            tracing::error!(%arn, "a timer could not be fired: the execution resumes at the next start");
                            return;
                        }
                    }
                });
            }
            let wait = next.map(|at| Duration::from_millis((at - now).max(1) as u64));
            let notify = runtime.timers.changed.clone();
            drop(runtime);
            let changed = notify.notified();
            match wait {
                // Wake at least once a minute: the clock may jump.
                Some(d) => {
                    let _ = tokio::time::timeout(d.min(Duration::from_secs(60)), changed).await;
                }
                None => {
                    let _ = tokio::time::timeout(Duration::from_secs(60), changed).await;
                }
            }
        }
    });
}
