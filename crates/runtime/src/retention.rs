//! Retention (`baton serve --retention-days`): closed executions and their histories deleted
//! once they have been closed longer than the retention, as AWS keeps a closed execution and its
//! history for 90 days (the execution quotas of "Step Functions service quotas"). A background
//! task asks the store to purge, a thousand at
//! a time in short transactions, so writers never wait long; nothing is locked in memory.

use std::sync::Arc;
use std::time::Duration;

use baton_store::Store;

/// Executions asked for per purge call.
const PER_CALL: usize = 1000;

/// How often the task looks: a tenth of the retention, between 100 ms and a minute.
fn period(keep: Duration) -> Duration {
    (keep / 10).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// Purges what has been closed for longer than `keep`, every [`period`], until `stopping`
/// says so. Store errors are logged and tried again at the next period.
pub(crate) async fn run(
    store: Arc<dyn Store>,
    keep: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let keep_ms = i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
    let mut tick = tokio::time::interval(period(keep));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        let cutoff = crate::now().saturating_sub(keep_ms);
        let mut purged = 0;
        loop {
            match store.purge_closed(cutoff, PER_CALL).await {
                Ok(n) => {
                    purged += n;
                    if n < PER_CALL {
                        break;
                    }
                    // Others' turn between calls.
                    tokio::task::yield_now().await;
                }
                Err(e) => {
                    tracing::warn!("retention: purging closed executions: {e}");
                    break;
                }
            }
        }
        if purged > 0 {
            tracing::info!(
                purged,
                "retention: deleted closed executions past the retention"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_follows_the_retention_within_bounds() {
        assert_eq!(
            period(Duration::from_secs(90 * 86_400)),
            Duration::from_secs(60)
        );
        assert_eq!(period(Duration::from_secs(5)), Duration::from_millis(500));
        assert_eq!(
            period(Duration::from_millis(10)),
            Duration::from_millis(100)
        );
    }
}
