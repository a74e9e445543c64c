//! Just enough HTTP/1.1 over loopback to probe a server: one `GET` per fresh
//! connection, so a probe never rides on a connection opened before the
//! server was ready.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A port nobody listens on now. Another process could take it before the
/// server binds it; on a bench machine that race is not worth more code.
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Sends `GET path` and returns the response's status code.
pub fn get_status(addr: SocketAddr, path: &str, timeout: Duration) -> io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;

    // `Connection: close` makes the server end the response with EOF, and
    // the bodies probed here are a few kilobytes at most.
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    parse_status(&response)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status line"))
}

/// The code in `HTTP/1.1 200 OK`.
fn parse_status(response: &[u8]) -> Option<u16> {
    let line = response.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    words.next()?.parse().ok()
}
