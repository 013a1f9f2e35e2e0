//! Engine work that may run for long runs on Tokio's blocking pool, never on an async worker:
//! a step of a machine that evaluates JSONata may take as long as its budget
//! (`baton_asl::budget`) allows, and meanwhile the server's workers keep answering every other
//! request, `/health` included, and signals. Any other step is bounded by the history limit
//! and the payload limit and runs where it is (moving it to another thread and back would
//! cost more than the step: a third of Express throughput, measured in `BENCHMARKS.md`).

use baton_store::Error;

/// Runs `work` on the blocking pool when it `may_run_long`, else here, and returns what it
/// returned. A panic on the pool is an error of the step, not of the server.
pub(crate) async fn run_if<T, F>(may_run_long: bool, work: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if may_run_long {
        run(work).await
    } else {
        Ok(work())
    }
}

/// Runs `work` on the blocking pool and returns what it returned. A panic inside it is an
/// error of the step, not of the server.
pub(crate) async fn run<T, F>(work: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "an engine step did not finish");
        Error::Backend(format!("an engine step did not finish: {e}"))
    })
}
