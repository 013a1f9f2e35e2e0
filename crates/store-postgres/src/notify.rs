//! Hints between nodes: `NOTIFY` on one channel, and one connection per store that `LISTEN`s
//! on it. Only a hint: every reader also polls, so a notification lost (a dropped connection,
//! a node that was not listening yet) delays work but loses none. After each (re)connection
//! the listener wakes everything, since what was notified meanwhile was missed.

use std::time::Duration;

use baton_store::{Topic, Wake};
use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, Client};

use crate::rows::{backend, Result};

/// The one channel every node listens on; the payload is the topic.
const CHANNEL: &str = "baton";

/// Sends `topic` to every listening node (after the caller's commit: a notification inside a
/// write transaction would serialise commits on the server's notify queue lock).
pub(crate) async fn notify(c: &Client, topic: &Topic) -> Result<()> {
    c.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &topic.encode()])
        .await
        .map_err(backend)?;
    Ok(())
}

/// Listens for as long as the runtime runs, reconnecting after a second when the connection
/// goes.
pub(crate) async fn listen(server: crate::Server, wake: Wake) {
    // Said once per outage, not at every try while the server is down.
    let mut said = false;
    loop {
        match listen_once(&server, &wake).await {
            Err(e) if !said => {
                tracing_free_log(&e);
                said = true;
            }
            Err(_) => {}
            Ok(()) => said = false,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_once(server: &crate::Server, wake: &Wake) -> Result<()> {
    let (client, mut connection) = server.connect_driven_by_caller().await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The connection delivers notifications only to whoever polls it for messages.
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_string()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    let listening = client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(backend);
    if listening.is_ok() {
        wake(Topic::Everything);
        while let Some(payload) = rx.recv().await {
            if let Some(topic) = Topic::decode(&payload) {
                wake(topic);
            }
        }
    }
    driver.abort();
    drop(client);
    listening
}

/// The store has no logger of its own; a lost listener shows as slower wake-ups only.
fn tracing_free_log(e: &baton_store::Error) {
    eprintln!("baton: the store's notification listener reconnects (every second until the server answers): {e}");
}
