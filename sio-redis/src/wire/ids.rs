//! Server uids and request ids, from the operating system's random source.

/// The alphabet of `uid2`, which the pub/sub adapter uses for its ids: `A-Z a-z 0-9 - _`.
const UID2_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `len` random characters of `A-Z a-z 0-9 - _`, as `uid2(len)` makes them (each byte modulo
/// 64: no bias).
fn uid2(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    fill(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(UID2_ALPHABET[usize::from(b % 64)]))
        .collect()
}

fn fill(bytes: &mut [u8]) {
    if getrandom::fill(bytes).is_err() {
        // The OS source failing is not recoverable in any useful way; ids must still differ.
        tracing::error!("the operating system's random source failed");
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
}

/// A pub/sub adapter's server uid: 6 characters of `A-Z a-z 0-9 - _`.
///
/// ```
/// let uid = sio_redis::wire::server_uid();
/// assert_eq!(uid.len(), 6);
/// assert!(uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// ```
pub fn server_uid() -> String {
    uid2(6)
}

/// A pub/sub adapter's request id: 6 characters of `A-Z a-z 0-9 - _`.
///
/// ```
/// assert_eq!(sio_redis::wire::request_id().len(), 6);
/// ```
pub fn request_id() -> String {
    uid2(6)
}

/// A sharded adapter's uid or request id: 16 lower-case hex digits (8 random bytes).
///
/// ```
/// let uid = sio_redis::wire::sharded_uid();
/// assert_eq!(uid.len(), 16);
/// assert!(uid.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
/// ```
pub fn sharded_uid() -> String {
    let mut bytes = [0u8; 8];
    fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
