//! A minimal HTTP endpoint for Prometheus: `GET /metrics` answers the
//! node's metrics in the OpenMetrics text format; anything else is 404.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use converge_net::Node;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts serving on `addr`; returns the address bound.
pub(super) async fn start(addr: SocketAddr, node: Node) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("serving metrics on {addr} (is the port in use? choose another with --metrics)")
    })?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let node = node.clone();
            tokio::spawn(async move {
                // A request line and headers: 8 KiB is plenty.
                let mut buf = vec![0u8; 8192];
                let mut len = 0;
                while len < buf.len() {
                    match stream.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => len += n,
                    }
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let request = String::from_utf8_lossy(&buf[..len]);
                let response = if request.starts_with("GET /metrics ") {
                    let body = node.metrics();
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    let body = "not found: the metrics are at /metrics\n";
                    format!(
                        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                };
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(bound)
}
