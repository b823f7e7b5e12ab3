//! A minimal HTTP/1.1 keep-alive client for Engine.IO long-polling: one request at a time
//! per connection, `Content-Length` or chunked bodies.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::net::{Result, STEP_TIMEOUT, Target};

/// One keep-alive HTTP connection to the server under test.
#[derive(Debug)]
pub(crate) struct HttpConn {
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    host: String,
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl HttpConn {
    /// A connection, opened on first use.
    pub(crate) fn new(target: &Target) -> Self {
        HttpConn {
            stream: None,
            buf: Vec::with_capacity(4096),
            host: target.host(),
        }
    }

    /// Sends one request and reads its response: the status and the body. A request is retried
    /// once on a new connection if the kept-alive one was closed by the server.
    pub(crate) async fn request(
        &mut self,
        target: &Target,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        let reused = self.stream.is_some();
        match self.try_request(target, method, path, body).await {
            Ok(r) => Ok(r),
            Err(_) if reused => {
                self.stream = None;
                self.try_request(target, method, path, body).await
            }
            Err(e) => Err(e),
        }
    }

    async fn try_request(
        &mut self,
        target: &Target,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>)> {
        if self.stream.is_none() {
            self.stream = Some(target.tcp().await?);
            self.buf.clear();
        }
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        let stream = self.stream.as_mut().ok_or("no connection")?;
        stream.write_all(&request).await?;
        // Long-polls are answered within the ping interval; bound the wait well above it.
        let response = tokio::time::timeout(STEP_TIMEOUT * 6, self.read_response()).await;
        match response {
            Ok(Ok((status, body, close))) => {
                if close {
                    self.stream = None;
                }
                Ok((status, body))
            }
            Ok(Err(e)) => {
                self.stream = None;
                Err(e)
            }
            Err(_) => {
                self.stream = None;
                Err("timed out waiting for an HTTP response".into())
            }
        }
    }

    /// Reads more bytes into the buffer; an error at end of stream.
    async fn fill(&mut self) -> Result<()> {
        let stream = self.stream.as_mut().ok_or("no connection")?;
        let mut chunk = [0u8; 16 * 1024];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("the server closed the connection".into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> Result<(u16, Vec<u8>, bool)> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or("bad HTTP status line")?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>()?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let length = length.unwrap_or(0);
            while self.buf.len() < length {
                self.fill().await?;
            }
            self.buf.drain(..length).collect()
        };
        Ok((status, body, close))
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                self.fill().await?;
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill().await?;
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}
