//! The node's two small HTTP endpoints, GET only, one request per
//! connection: Prometheus metrics (`--metrics ADDR`: `GET /metrics`) and a
//! static folder for browser peers (`--serve DIR --http ADDR`: the files,
//! and `GET /converge.json`, the addresses a page dials to join this node).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use converge_net::multiaddr::Protocol;
use converge_net::Node;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request's path and `Host` header, or `None` for anything but a GET.
struct Request {
    path: String,
    host: Option<String>,
}

/// How long a client has to send its request.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a request line and headers (8 KiB at most, within
/// `REQUEST_TIMEOUT`: a client that sends nothing does not hold a
/// connection for ever).
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    tokio::time::timeout(REQUEST_TIMEOUT, read_head(stream))
        .await
        .ok()
        .flatten()
}

async fn read_head(stream: &mut TcpStream) -> Option<Request> {
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
    let head = String::from_utf8_lossy(&buf[..len]);
    let mut lines = head.split("\r\n");
    let path = lines.next()?.strip_prefix("GET ")?.split(' ').next()?;
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.trim().to_string());
    Some(Request {
        path: path.split('?').next().unwrap_or("/").to_string(),
        host,
    })
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
}

async fn not_found(stream: &mut TcpStream, hint: &str) {
    respond(
        stream,
        "404 Not Found",
        "text/plain; charset=utf-8",
        hint.as_bytes(),
    )
    .await;
}

/// Binds `addr`, saying which flag chooses another address when it fails.
async fn bind(addr: SocketAddr, what: &str, flag: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).await.with_context(|| {
        format!("serving {what} on {addr} (is the port in use? choose another with {flag})")
    })
}

/// Serves the node's metrics on `addr`; returns the address bound.
pub(super) async fn start_metrics(addr: SocketAddr, node: Node) -> Result<SocketAddr> {
    let listener = bind(addr, "metrics", "--metrics").await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let node = node.clone();
            tokio::spawn(async move {
                match read_request(&mut stream).await {
                    Some(r) if r.path == "/metrics" => {
                        let body = node.metrics();
                        let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
                        respond(&mut stream, "200 OK", kind, body.as_bytes()).await;
                    }
                    _ => not_found(&mut stream, "not found: the metrics are at /metrics\n").await,
                }
            });
        }
    });
    Ok(bound)
}

/// Serves the files under `dir` and `/converge.json` on `addr`; returns
/// the address bound.
pub(super) async fn start_files(addr: SocketAddr, dir: PathBuf, node: Node) -> Result<SocketAddr> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("--serve {}: no such folder", dir.display()))?;
    let listener = bind(addr, "files", "--http").await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (node, dir) = (node.clone(), dir.clone());
            tokio::spawn(async move {
                let Some(req) = read_request(&mut stream).await else {
                    return not_found(&mut stream, "only GET is served\n").await;
                };
                if req.path == "/converge.json" {
                    let body = descriptor(&node, req.host.as_deref()).await;
                    return respond(&mut stream, "200 OK", "application/json", body.as_bytes())
                        .await;
                }
                match file_of(&dir, &req.path) {
                    Some(file) => match std::fs::read(&file) {
                        Ok(body) => {
                            respond(&mut stream, "200 OK", content_type(&file), &body).await
                        }
                        Err(_) => not_found(&mut stream, "not found\n").await,
                    },
                    None => not_found(&mut stream, "not found\n").await,
                }
            });
        }
    });
    Ok(bound)
}

/// The file a request path names under `dir` (`index.html` for a folder),
/// never outside it.
fn file_of(dir: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    if rel
        .split('/')
        .any(|seg| seg == ".." || seg.starts_with('.'))
    {
        return None;
    }
    let mut file = dir.join(rel);
    if file.is_dir() {
        file = file.join("index.html");
    }
    let file = file.canonicalize().ok()?;
    file.starts_with(dir).then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `{"peerId": …, "websocket": [multiaddrs]}`: the node's WebSocket
/// listeners with its peer id, an unspecified address replaced by the host
/// the page was loaded from.
async fn descriptor(node: &Node, host: Option<&str>) -> String {
    let host = host
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string());
    let mut ws = Vec::new();
    for addr in node.listen_addrs().await.unwrap_or_default() {
        if !addr.iter().any(|p| matches!(p, Protocol::Ws(_))) {
            continue;
        }
        let mut text = addr.to_string();
        if let Some(h) = &host {
            if let Ok(ip) = h.parse::<std::net::Ipv4Addr>() {
                text = text.replace("/ip4/0.0.0.0/", &format!("/ip4/{ip}/"));
            }
        }
        ws.push(serde_json::Value::String(format!(
            "{text}/p2p/{}",
            node.peer_id()
        )));
    }
    serde_json::json!({ "peerId": node.peer_id().to_string(), "websocket": ws }).to_string()
}
