//! Session ids: 20 characters of URL-safe base64 from 15 random bytes (120 bits).
//!
//! The bytes come from the operating system's random source, drawn [`POOL_IDS`] ids at a time
//! into a per-thread pool: one `getrandom` call serves that many ids (a connection takes two,
//! its engine sid and its Socket.IO socket id), where each id used to cost a system call.

use std::cell::RefCell;
use std::fmt;

use base64::Engine as _;

/// The length of a session id in characters.
pub const SID_LEN: usize = 20;

/// An Engine.IO session id: 20 URL-safe characters (`A–Z a–z 0–9 - _`) drawn from the
/// operating system's random source, so that ids are unguessable (120 bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid([u8; SID_LEN]);

impl Sid {
    /// A new random id.
    ///
    /// Falls back to a time- and counter-based id only if the operating system's random source
    /// fails, which it does not on supported platforms.
    pub fn random() -> Sid {
        let raw = POOL.with(|pool| pool.borrow_mut().take());
        let mut out = [0u8; SID_LEN];
        // 15 bytes encode to exactly 20 base64 characters with no padding.
        let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .unwrap_or(0);
        debug_assert_eq!(written, SID_LEN);
        Sid(out)
    }

    /// Parses an id received from a client; `None` unless it has the shape of a sid.
    pub fn parse(s: &str) -> Option<Sid> {
        let bytes = s.as_bytes();
        if bytes.len() != SID_LEN
            || !bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        {
            return None;
        }
        let mut out = [0u8; SID_LEN];
        out.copy_from_slice(bytes);
        Some(Sid(out))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The random bytes of one id.
const ID_BYTES: usize = 15;

/// How many ids one draw from the operating system serves.
pub(crate) const POOL_IDS: usize = 64;

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; ID_BYTES * POOL_IDS], next: ID_BYTES * POOL_IDS }) };
}

/// Random bytes drawn from the operating system ahead of use, for this thread's ids. Every
/// byte is handed out once and then overwritten, so no two ids share bytes and none stays in
/// memory after use. (A process that forks after drawing ids would hand the same pooled bytes
/// out in both processes; servers do not fork once they serve.)
struct Pool {
    bytes: [u8; ID_BYTES * POOL_IDS],
    /// The first byte not yet handed out.
    next: usize,
}

impl Pool {
    fn take(&mut self) -> [u8; ID_BYTES] {
        if self.next + ID_BYTES > self.bytes.len() {
            if getrandom::fill(&mut self.bytes).is_err() {
                tracing::error!("the OS random source failed; session id from a weaker fallback");
                let mut raw = [0u8; ID_BYTES];
                fallback_bytes(&mut raw);
                return raw;
            }
            self.next = 0;
        }
        let mut raw = [0u8; ID_BYTES];
        let used = &mut self.bytes[self.next..self.next + ID_BYTES];
        raw.copy_from_slice(used);
        used.fill(0);
        self.next += ID_BYTES;
        raw
    }
}

fn fallback_bytes(raw: &mut [u8; ID_BYTES]) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    raw[..8].copy_from_slice(&(nanos as u64).to_le_bytes());
    raw[8..15].copy_from_slice(&count.to_le_bytes()[..7]);
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_ids_are_url_safe_and_distinct() {
        let ids: HashSet<Sid> = (0..1000).map(|_| Sid::random()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.as_str().len(), SID_LEN);
            assert_eq!(Sid::parse(id.as_str()), Some(*id));
        }
    }

    #[test]
    fn ids_across_pool_refills_are_distinct() {
        // Several refills of this thread's pool, and ids drawn on other threads.
        let mut ids: HashSet<Sid> = (0..POOL_IDS * 5 + 3).map(|_| Sid::random()).collect();
        let others =
            std::thread::spawn(|| (0..POOL_IDS * 2).map(|_| Sid::random()).collect::<Vec<_>>());
        ids.extend(others.join().unwrap_or_default());
        assert_eq!(ids.len(), POOL_IDS * 7 + 3);
    }

    #[test]
    fn parse_rejects_other_shapes() {
        assert_eq!(Sid::parse(""), None);
        assert_eq!(Sid::parse("abc"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa+"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaaaa"), None);
        assert!(Sid::parse("aaaaaaaaaa-_aaaaaaaa").is_some());
    }
}
