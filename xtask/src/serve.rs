//! A small static file server on std::net: GET and HEAD, one thread per
//! connection, `Connection: close`. Enough for the playground and the
//! end-to-end tests; it is not meant to face the internet.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::{Error, Result};

/// Requests larger than this (headers included) are refused.
const MAX_HEAD: usize = 16 * 1024;

/// Listens on 127.0.0.1:`port` (0 picks a free port).
pub fn bind(port: u16) -> Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => Error::new(format!(
            "port {port} is already in use (another server?); choose another one, e.g. \
             `cargo xtask serve --port {}`",
            port.wrapping_add(1).max(1024)
        )),
        _ => Error::new(format!("cannot listen on 127.0.0.1:{port}: {e}")),
    })
}

/// Serves `root` until the process ends, logging one line per request when `log`.
pub fn run(listener: TcpListener, root: &Path, log: bool) -> Result<()> {
    let root = canonical_root(root)?;
    accept_loop(listener, root, log, Arc::new(AtomicBool::new(false)));
    Ok(())
}

/// A server running on a background thread; stops when stopped or dropped.
pub struct Background {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

pub fn spawn(listener: TcpListener, root: &Path) -> Result<Background> {
    let root = canonical_root(root)?;
    let addr = listener.local_addr().map_err(|e| Error::new(format!("reading the server address: {e}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || accept_loop(listener, root, false, stop))
    };
    Ok(Background { addr, stop, thread: Some(thread) })
}

impl Background {
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // `accept` blocks; a connection of our own wakes it up to see the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        let _ = thread.join();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn canonical_root(root: &Path) -> Result<PathBuf> {
    root.canonicalize().map_err(|e| Error::io("serving", root, e))
}

fn accept_loop(listener: TcpListener, root: PathBuf, log: bool, stop: Arc<AtomicBool>) {
    let root = Arc::new(root);
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        match conn {
            Ok(stream) => {
                let root = Arc::clone(&root);
                std::thread::spawn(move || {
                    // A client that goes away mid-response is not our problem.
                    let _ = handle(stream, &root, log);
                });
            }
            Err(e) => eprintln!("server: accept failed: {e}"),
        }
    }
}

fn handle(mut stream: TcpStream, root: &Path, log: bool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let head = match read_head(&mut stream)? {
        Some(head) => head,
        None => return Ok(()), // closed before sending a request
    };
    let mut out = BufWriter::new(stream);
    let mut request_line = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target, version) = (request_line.next(), request_line.next(), request_line.next());
    let (Some(method), Some(target), Some(_version)) = (method, target, version) else {
        plain(&mut out, 400, "", "bad request\n", false)?;
        return out.flush();
    };
    let head_only = method == "HEAD";
    let status = if method != "GET" && !head_only {
        plain(&mut out, 405, "Allow: GET, HEAD\r\n", "only GET and HEAD are supported\n", false)?
    } else {
        match resolve(root, target) {
            Resolved::File(path) => send_file(&mut out, &path, head_only)?,
            Resolved::Redirect(location) => {
                let location = format!("Location: {location}\r\n");
                plain(&mut out, 301, &location, "moved\n", head_only)?
            }
            Resolved::NotFound => plain(&mut out, 404, "", "not found\n", head_only)?,
            Resolved::BadRequest => plain(&mut out, 400, "", "bad request\n", head_only)?,
        }
    };
    out.flush()?;
    if log {
        println!("{status} {method} {target}");
    }
    Ok(())
}

/// Reads up to the blank line that ends the request head.
fn read_head(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request head too large"));
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(if head.is_empty() { None } else { Some(String::from_utf8_lossy(&head).into_owned()) });
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(String::from_utf8_lossy(&head).into_owned()))
}

fn send_file(out: &mut impl Write, path: &Path, head_only: bool) -> io::Result<u16> {
    let Ok(mut file) = File::open(path) else {
        return plain(out, 404, "", "not found\n", head_only);
    };
    let len = file.metadata()?.len();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        mime_type(path)
    )?;
    if !head_only {
        io::copy(&mut file, out)?;
    }
    Ok(200)
}

/// A complete plain-text response; `extra` holds additional header lines.
fn plain(out: &mut impl Write, status: u16, extra: &str, body: &str, head_only: bool) -> io::Result<u16> {
    write!(
        out,
        "HTTP/1.1 {status} {}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    )?;
    if !head_only {
        out.write_all(body.as_bytes())?;
    }
    Ok(status)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "",
    }
}

#[derive(Debug, PartialEq)]
enum Resolved {
    File(PathBuf),
    /// A folder asked for without its trailing slash: relative links in its
    /// index.html only resolve against the URL with the slash.
    Redirect(String),
    NotFound,
    BadRequest,
}

/// Maps a request target to a file under `root` (which must be canonical).
fn resolve(root: &Path, target: &str) -> Resolved {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Resolved::BadRequest;
    }
    let mut file = root.to_path_buf();
    for segment in path.split('/') {
        let Some(segment) = percent_decode(segment) else {
            return Resolved::BadRequest;
        };
        match segment.as_str() {
            "" | "." => {}
            ".." => return Resolved::NotFound,
            s if s.contains(['/', '\\', '\0']) => return Resolved::NotFound,
            s => file.push(s),
        }
    }
    // Symlinks must not lead outside the root either.
    let Ok(file) = file.canonicalize() else {
        return Resolved::NotFound;
    };
    if !file.starts_with(root) {
        return Resolved::NotFound;
    }
    if file.is_dir() {
        if !path.ends_with('/') {
            let query = target.find('?').map(|at| &target[at..]).unwrap_or("");
            return Resolved::Redirect(format!("{path}/{query}"));
        }
        let index = file.join("index.html");
        return if index.is_file() { Resolved::File(index) } else { Resolved::NotFound };
    }
    Resolved::File(file)
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn mime_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A served folder with a page, a wasm file and a sub-folder, and a
    /// secret next to it that must stay out of reach.
    fn fixture() -> (PathBuf, Background) {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = std::env::temp_dir().join(format!("xtask-serve-test-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let site = base.join("site");
        fs::create_dir_all(site.join("data")).unwrap();
        fs::write(site.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        fs::write(site.join("app.wasm"), b"\0asm\x01\0\0\0").unwrap();
        fs::write(site.join("data").join("index.html"), "data").unwrap();
        fs::write(site.join("data").join("a b.csv"), "x,y\n").unwrap();
        fs::write(base.join("secret.txt"), "secret").unwrap();
        let server = spawn(bind(0).unwrap(), &site).unwrap();
        (base, server)
    }

    /// Sends a raw request; returns (status, headers, body).
    fn request(server: &Background, raw: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let status = head[9..12].parse().unwrap();
        (status, head.to_string(), body.to_string())
    }

    fn get(server: &Background, path: &str) -> (u16, String, String) {
        request(server, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    #[test]
    fn serves_files_with_their_types() {
        let (base, server) = fixture();
        let (status, head, body) = get(&server, "/");
        assert_eq!(status, 200);
        assert!(head.contains("Content-Type: text/html; charset=utf-8"), "{head}");
        assert_eq!(body, "<!doctype html><title>t</title>");

        let (status, head, body) = get(&server, "/app.wasm?v=1");
        assert_eq!(status, 200);
        assert!(head.contains("Content-Type: application/wasm"), "{head}");
        assert!(head.contains("Content-Length: 8"), "{head}");
        assert_eq!(body.len(), 8);

        assert_eq!(get(&server, "/data/a%20b.csv").2, "x,y\n");
        assert_eq!(get(&server, "/data/").2, "data");
        server.stop();
        fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn head_gives_headers_only() {
        let (base, server) = fixture();
        let (status, head, body) = request(&server, "HEAD /index.html HTTP/1.1\r\n\r\n");
        assert_eq!(status, 200);
        assert!(head.contains("Content-Length: 31"), "{head}");
        assert_eq!(body, "");
        drop(server);
        fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn refuses_what_is_not_there_or_not_allowed() {
        let (base, server) = fixture();
        assert_eq!(get(&server, "/missing.js").0, 404);
        assert_eq!(get(&server, "/../secret.txt").0, 404);
        assert_eq!(get(&server, "/%2e%2e/secret.txt").0, 404);
        assert_eq!(get(&server, "/data/..%2f..%2fsecret.txt").0, 404);
        assert_eq!(get(&server, "/%zz").0, 400);
        assert_eq!(get(&server, "http://elsewhere/").0, 400);
        let (status, head, _) = request(&server, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(status, 405);
        assert!(head.contains("Allow: GET, HEAD"), "{head}");
        let (status, head, _) = get(&server, "/data?x=1");
        assert_eq!(status, 301);
        assert!(head.contains("Location: /data/?x=1"), "{head}");
        server.stop();
        fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn mime_types() {
        for (file, mime) in [
            ("a.mjs", "text/javascript; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("a.svg", "image/svg+xml"),
            ("a.PNG", "image/png"),
            ("a.json", "application/json"),
            ("a.csv", "text/csv; charset=utf-8"),
            ("a.bin", "application/octet-stream"),
        ] {
            assert_eq!(mime_type(Path::new(file)), mime, "{file}");
        }
    }
}
