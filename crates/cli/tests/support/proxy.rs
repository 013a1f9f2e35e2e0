//! A TCP proxy in front of a server, for tests of what a dropped connection does: every
//! connection it carries can be cut at once (reset, as a crashed middlebox or a network
//! failover cuts it), while new ones are still let through.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    cuts: Arc<watch::Sender<u64>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().unwrap();
        let cuts = Arc::new(watch::Sender::new(0u64));
        let watcher = cuts.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let mut cut = watcher.subscribe();
                cut.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {
                            // Reset both ends rather than close them: no goodbye reaches
                            // either side, as when the network drops.
                            let _ = client.set_zero_linger();
                            let _ = server.set_zero_linger();
                        }
                    }
                });
            }
        });
        Proxy { addr, cuts }
    }

    /// Cuts every connection open now.
    pub fn cut_all(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}
