//! Fresh, empty stores on a real PostgreSQL server for tests: each in a schema of its own on
//! the server's database, named for the test, dropped when the guard is.
//!
//! The server is `BATON_TEST_POSTGRES` (a URL), else `postgres://postgres@127.0.0.1:5432/postgres`.
//! When no server answers, [`TestSchema::create`] prints why and returns `None`, so a test can
//! skip on a machine without PostgreSQL; under `BATON_CI_STRICT=1` that is a failure instead.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the test server.
pub const URL_VAR: &str = "BATON_TEST_POSTGRES";

/// The server tests use when `BATON_TEST_POSTGRES` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The test server's URL.
pub fn server_url() -> String {
    std::env::var(URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_string())
}

fn strict() -> bool {
    std::env::var("BATON_CI_STRICT").is_ok_and(|v| v == "1")
}

/// Runs `sql` (one or more statements) on the server at `url`, on a throwaway runtime (tests
/// call this from plain threads); the rows it returned, as text.
fn simple(url: &str, sql: &str) -> Result<Vec<tokio_postgres::SimpleQueryRow>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| e.to_string())?;
    config.connect_timeout(std::time::Duration::from_secs(5));
    runtime.block_on(async {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(connection);
        let result = client.simple_query(sql).await.map_err(|e| e.to_string());
        drop(client);
        let _ = driver.await;
        result.map(|messages| {
            messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
                    _ => None,
                })
                .collect()
        })
    })
}

/// Runs `sql` on the server at `url`, for its effect.
fn admin(url: &str, sql: &str) -> Result<(), String> {
    simple(url, sql).map(|_| ())
}

/// A schema of its own on the test server, dropped (with everything in it) on drop.
pub struct TestSchema {
    /// A URL whose connections work in this schema (`search_path`).
    pub url: String,
    server: String,
    name: String,
}

impl TestSchema {
    /// Ends every session on the test server whose `application_name` is `name`, as a
    /// restart of the server, or a proxy dropping its connections, ends them.
    pub fn end_sessions(&self, name: &str) -> Result<(), String> {
        admin(
            &self.server,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = '{}'",
                name.replace('\'', "''")
            ),
        )
    }

    /// A new, empty schema. `None` when the server does not answer (printed; a panic under
    /// `BATON_CI_STRICT=1`).
    pub fn create(label: &str) -> Option<TestSchema> {
        TestSchema::create_on(&server_url(), label)
    }

    /// [`TestSchema::create`] on the server at `server` (a URL).
    pub fn create_on(server: &str, label: &str) -> Option<TestSchema> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let server = server.to_string();
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect::<String>()
            .to_ascii_lowercase();
        let name = format!(
            "baton_t_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        if let Err(e) = admin(&server, &format!("CREATE SCHEMA {name}")) {
            let why = format!(
                "no PostgreSQL server for the tests at {} ({e}); set {URL_VAR} to one",
                crate::redacted(&server)
            );
            if strict() {
                panic!("{why} (BATON_CI_STRICT=1: a skip is a failure)");
            }
            eprintln!("skipped: {why}");
            return None;
        }
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options=-csearch_path%3D{name}");
        Some(TestSchema { url, server, name })
    }

    /// Journal entries that no fenced writer could have written, each as `ARN seq epoch`: one
    /// kept with no epoch (written unfenced on a shared store), or with an epoch older than an
    /// earlier entry of the same execution (written by a node after another had taken the
    /// partition over). Empty when every step was written by the partition's owner of the day.
    /// Executions never redriven only: a redrive may move one to another partition.
    pub fn journal_written_out_of_turn(&self) -> Result<Vec<String>, String> {
        let rows = self.rows(
            "SELECT arn, seq, epoch FROM (SELECT e.arn, j.seq, j.epoch, \
               max(j.epoch) OVER (PARTITION BY j.execution_id ORDER BY j.seq \
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before \
             FROM journal j JOIN executions e ON e.id = j.execution_id \
             WHERE e.redrive_count = 0) x \
             WHERE epoch = 0 OR epoch < before ORDER BY arn, seq",
        )?;
        Ok(rows.iter().map(|r| r.join(" ")).collect())
    }

    /// The rows `sql` returns in this schema, each column as text (NULL as empty).
    pub fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        Ok(simple(&self.url, sql)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("").to_string())
                    .collect()
            })
            .collect())
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server = self.server.clone();
        // On a thread of its own: the guard may be dropped inside an async executor.
        let _ = std::thread::spawn(move || admin(&server, &format!("DROP SCHEMA {name} CASCADE")))
            .join();
    }
}
