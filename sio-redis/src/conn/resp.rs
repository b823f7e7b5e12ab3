//! The few RESP2 frames a subscriber connection sees, read from a buffer without I/O.

use bytes::{Bytes, BytesMut};

/// How deeply arrays may nest (subscriber replies nest one level).
const MAX_NESTING: usize = 4;
/// The largest bulk string Redis sends (its `proto-max-bulk-len` default).
const MAX_BULK: usize = 512 * 1024 * 1024;
/// The most elements an array may announce.
const MAX_ARRAY: usize = 1024 * 1024;

/// One RESP2 value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...`.
    Error(String),
    /// `:1`.
    Integer(i64),
    /// `$3\r\nfoo`, or the null bulk `$-1`.
    Bulk(Option<Bytes>),
    /// `*2\r\n...`, or the null array `*-1`.
    Array(Option<Vec<Frame>>),
}

impl Frame {
    /// The bytes of a bulk or simple string.
    pub(crate) fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Bulk(Some(b)) => Some(b),
            Self::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
}

/// A protocol violation: the connection cannot be trusted any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RESP reply: {0}")]
pub(crate) struct RespError(pub(crate) &'static str);

/// Takes one complete frame off the front of `buf`; `Ok(None)` when more bytes are needed.
pub(crate) fn parse(buf: &mut BytesMut) -> Result<Option<Frame>, RespError> {
    // A dry pass finds where the frame ends without copying anything, so that a large message
    // arriving in pieces is not copied again on every read; then the frame's bytes are taken
    // off the buffer and its strings are slices of them.
    let mut end = 0;
    if frame(buf, &mut end, 0, None)?.is_none() {
        return Ok(None);
    }
    let whole = buf.split_to(end).freeze();
    let mut at = 0;
    frame(&whole, &mut at, 0, Some(&whole))
}

/// The line starting at `*at` (without its CRLF), moving `*at` past it.
fn line<'a>(buf: &'a [u8], at: &mut usize) -> Result<Option<&'a [u8]>, RespError> {
    let rest = buf.get(*at..).unwrap_or_default();
    match rest.windows(2).position(|w| w == b"\r\n") {
        Some(end) => {
            *at += end + 2;
            Ok(Some(&rest[..end]))
        }
        None if rest.len() > 64 * 1024 => Err(RespError("line too long")),
        None => Ok(None),
    }
}

fn int(line: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RespError("invalid integer"))
}

/// Reads the frame at `*at`; with `src` (the same bytes, shared), bulk strings are slices of
/// it, without (a dry pass), they are left empty.
fn frame(
    buf: &[u8],
    at: &mut usize,
    depth: usize,
    src: Option<&Bytes>,
) -> Result<Option<Frame>, RespError> {
    let Some(&kind) = buf.get(*at) else {
        return Ok(None);
    };
    *at += 1;
    let Some(head) = line(buf, at)? else {
        return Ok(None);
    };
    Ok(Some(match kind {
        b'+' => Frame::Simple(String::from_utf8_lossy(head).into_owned()),
        b'-' => Frame::Error(String::from_utf8_lossy(head).into_owned()),
        b':' => Frame::Integer(int(head)?),
        b'$' => {
            let len = int(head)?;
            if len < 0 {
                return Ok(Some(Frame::Bulk(None)));
            }
            let len = usize::try_from(len).map_err(|_| RespError("bulk length"))?;
            if len > MAX_BULK {
                return Err(RespError("bulk string too long"));
            }
            let end = *at + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(RespError("bulk string not terminated"));
            }
            let bytes = src.map(|src| src.slice(*at..end));
            *at = end + 2;
            Frame::Bulk(bytes)
        }
        b'*' => {
            let len = int(head)?;
            if len < 0 {
                return Ok(Some(Frame::Array(None)));
            }
            if depth >= MAX_NESTING {
                return Err(RespError("arrays nested too deeply"));
            }
            let len = usize::try_from(len).map_err(|_| RespError("array length"))?;
            if len > MAX_ARRAY {
                return Err(RespError("array too long"));
            }
            let mut items = Vec::with_capacity(len.min(16));
            for _ in 0..len {
                match frame(buf, at, depth + 1, src)? {
                    Some(item) => items.push(item),
                    None => return Ok(None),
                }
            }
            Frame::Array(Some(items))
        }
        _ => return Err(RespError("unknown frame type")),
    }))
}

/// A command as RESP: an array of bulk strings.
pub(crate) fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &[u8]) -> Frame {
        Frame::Bulk(Some(Bytes::copy_from_slice(s)))
    }

    #[test]
    fn frames_come_whole_or_not_at_all() {
        let wire =
            b"*4\r\n$8\r\npmessage\r\n$3\r\np#*\r\n$4\r\np#a#\r\n$3\r\n\x00\r\n\r\n:3\r\n+OK\r\n";
        let expected = vec![
            Frame::Array(Some(vec![
                b(b"pmessage"),
                b(b"p#*"),
                b(b"p#a#"),
                b(b"\x00\r\n"),
            ])),
            Frame::Integer(3),
            Frame::Simple("OK".into()),
        ];
        // Fed one byte at a time.
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for byte in wire {
            buf.extend_from_slice(&[*byte]);
            while let Some(frame) = parse(&mut buf).unwrap() {
                got.push(frame);
            }
        }
        assert_eq!(got, expected);
        assert!(buf.is_empty());
        let mut buf = BytesMut::from(&b"$-1\r\n*-1\r\n-ERR no\r\n"[..]);
        assert_eq!(parse(&mut buf).unwrap(), Some(Frame::Bulk(None)));
        assert_eq!(parse(&mut buf).unwrap(), Some(Frame::Array(None)));
        assert_eq!(
            parse(&mut buf).unwrap(),
            Some(Frame::Error("ERR no".into()))
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            &b"?x\r\n"[..],
            b"$abc\r\n",
            b"$3\r\nabcXY",
            b"*9999999999\r\n",
            b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
            b"$999999999999\r\n",
        ] {
            assert!(parse(&mut BytesMut::from(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(command(&[b"PING"]), b"*1\r\n$4\r\nPING\r\n".to_vec());
    }
}
