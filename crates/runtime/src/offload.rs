//! Engine work runs on Tokio's blocking pool, never on an async worker: a step may evaluate
//! expressions for as long as its budget (`baton_asl::budget`) allows, and meanwhile the
//! server's workers keep answering every other request, `/health` included, and signals.

use baton_store::Error;

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
