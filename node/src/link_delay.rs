//! A TCP relay that holds every byte for a fixed time in each direction.
//!
//! `vnt devnet --link-delay 50ms` puts one in front of each validator's consensus port, so a
//! cluster on one machine sees the latency of validators far apart without root rights or
//! `netem`. Bytes keep their order and are released as soon as their time is up, so the
//! delay adds latency without capping throughput (as a long link does).

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

/// Bytes read at once from either side.
const CHUNK: usize = 64 * 1024;
/// Wait after a failed accept before the next.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
/// Chunks held per direction before the relay stops reading (back-pressure to the sender).
const IN_FLIGHT: usize = 1_024;

/// Relays every connection accepted on `listener` to `target`, `delay` late each way.
/// Runs until aborted.
pub async fn relay(listener: TcpListener, target: SocketAddr, delay: Duration) {
    loop {
        let inbound = match listener.accept().await {
            Ok((inbound, _)) => inbound,
            // Out of file descriptors, say: the validator stays reachable once it passes.
            Err(error) => {
                tracing::warn!(%error, "the link relay cannot accept; retrying");
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        tokio::spawn(async move {
            // A target that is down refuses this connection only; the dialer retries.
            if let Ok(outbound) = TcpStream::connect(target).await {
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                tokio::join!(
                    pipe(in_read, out_write, delay),
                    pipe(out_read, in_write, delay)
                );
            }
        });
    }
}

/// Copies `from` to `to`, releasing each chunk `delay` after it was read.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (held, mut due) = mpsc::channel::<(Instant, Vec<u8>)>(IN_FLIGHT);
    let reader = async move {
        let mut buffer = vec![0; CHUNK];
        // End of stream or an error ends this direction; dropping `held` ends the writer.
        while let Ok(read @ 1..) = from.read(&mut buffer).await {
            if held
                .send((Instant::now() + delay, buffer[..read].to_vec()))
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((at, bytes)) = due.recv().await {
            sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on loopback; returns its address.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.into_split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn bytes_cross_in_order_and_no_sooner_than_the_delay_each_way() {
        let delay = Duration::from_millis(100);
        let target = echo_server().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relayed = listener.local_addr().unwrap();
        tokio::spawn(relay(listener, target, delay));

        let mut stream = TcpStream::connect(relayed).await.unwrap();
        let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let started = Instant::now();
        stream.write_all(&message).await.unwrap();
        let mut echoed = vec![0; message.len()];
        tokio::time::timeout(Duration::from_secs(30), stream.read_exact(&mut echoed))
            .await
            .expect("the echo comes back")
            .unwrap();
        // A lower bound only: the relay may never be early, and load can only make it later.
        assert!(started.elapsed() >= 2 * delay, "{:?}", started.elapsed());
        assert_eq!(echoed, message);
    }

    #[tokio::test]
    async fn a_target_that_is_down_refuses_only_that_connection() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let target = closed.local_addr().unwrap();
        drop(closed);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relayed = listener.local_addr().unwrap();
        tokio::spawn(relay(listener, target, Duration::from_millis(10)));
        for _ in 0..2 {
            let mut stream = TcpStream::connect(relayed).await.unwrap();
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut byte))
                .await
                .expect("the relay closes the connection");
            assert!(matches!(read, Ok(0) | Err(_)));
        }
    }
}
