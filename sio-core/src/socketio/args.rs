//! [`Args`]: an event's arguments, kept as the JSON text the client sent until something asks
//! for values.
//!
//! The default parser hands an EVENT without attachments over as its frame plus the byte range
//! of each argument ([`RawArgs`]), after checking that the text is valid JSON within the depth
//! limit. Reading the arguments as [`Value`]s (indexing, iterating, [`Args::into_values`])
//! parses them once, on first access. Relaying them ([`AckReply::Args`](super::AckReply),
//! [`SocketRef::emit_args`](super::SocketRef::emit_args)) splices the original text into the
//! outgoing packet without parsing or serializing.
//!
//! The decoder keeps an event raw only when its text is already in the form Node's
//! `JSON.stringify` would write for what `JSON.parse` reads from it (no whitespace between
//! tokens, no `\u` or `\/` escapes, numbers in JavaScript's shortest form), so a raw relay is
//! byte for byte what Node relays. Other events (and binary events, and the msgpack parser) are
//! parsed into values at once, as before.

use std::fmt;
use std::ops::{Deref, DerefMut, Range};
use std::sync::OnceLock;

use bytestring::ByteString;
use serde_json::Value;

/// An event's arguments as the client sent them: the text of the frame and where each argument
/// lies in it. See [`Args`].
#[derive(Clone, PartialEq, Eq)]
pub struct RawArgs {
    text: ByteString,
    ranges: Vec<Range<usize>>,
}

impl RawArgs {
    /// Arguments at `ranges` of `text`; each range must hold one complete JSON value.
    pub(crate) fn new(text: ByteString, ranges: Vec<Range<usize>>) -> Self {
        Self { text, ranges }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there is no argument.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The JSON text of each argument, as it came.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.ranges
            .iter()
            .map(|r| self.text.get(r.clone()).unwrap_or("null"))
    }

    /// How many bytes the arguments take, separated by commas.
    pub(crate) fn json_len(&self) -> usize {
        self.ranges.iter().map(|r| r.len() + 1).sum()
    }

    /// Appends the arguments separated by commas (no brackets).
    pub(crate) fn push_json(&self, out: &mut String) {
        for (i, arg) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(arg);
        }
    }

    fn to_values(&self) -> Vec<Value> {
        // The decoder checked each argument (valid JSON, shallow enough for serde_json's own
        // limit, numbers it reads without error), so parsing cannot fail.
        self.iter()
            .map(|arg| serde_json::from_str(arg).unwrap_or(Value::Null))
            .collect()
    }
}

/// Shows each argument as its JSON text: `[1, {"a":2}]`.
impl fmt::Debug for RawArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Json<'a>(&'a str);
        impl fmt::Debug for Json<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        f.debug_list().entries(self.iter().map(Json)).finish()
    }
}

/// The arguments of an event: a `Vec<serde_json::Value>` to read and change (it dereferences
/// to one), that stays the client's JSON text until first read.
///
/// The default parser hands an EVENT without attachments over as its frame plus the byte range
/// of each argument ([`RawArgs`]), after checking that the text is valid JSON within the depth
/// limit. Reading the arguments as values (indexing, iterating, [`Args::into_values`]) parses
/// them once, on first access. Relaying them ([`AckReply::Args`](super::AckReply::Args),
/// [`SocketRef::emit_args`](super::SocketRef::emit_args), a broadcast's `emit_args`) copies the
/// original text into the outgoing packet without parsing or serializing it.
///
/// The decoder keeps an event raw only when its text is already in the form Node's
/// `JSON.stringify` would write for what `JSON.parse` reads from it (no whitespace between
/// tokens, no `\u` or `\/` escapes, numbers in JavaScript's shortest form), so a raw relay is
/// what Node relays. Other events, binary events and the msgpack parser's are parsed into values
/// at once, as before.
///
/// Build it from values with `Args::from(vec![...])`; take the values out with
/// [`Args::into_values`] (or `Vec::from`). Changing the arguments (through `&mut`) drops the
/// raw text, and they are then serialized as values when sent.
///
/// ```
/// use serde_json::json;
/// use sio_core::socketio::Args;
///
/// let mut args = Args::from(vec![json!("hi"), json!({ "n": 1 })]);
/// assert_eq!(args.len(), 2);
/// assert_eq!(args[1]["n"], 1);
/// args.push(json!(true));
/// assert_eq!(args.into_values(), [json!("hi"), json!({ "n": 1 }), json!(true)]);
/// ```
#[derive(Default)]
pub struct Args {
    raw: Option<RawArgs>,
    values: OnceLock<Vec<Value>>,
}

impl Args {
    /// Arguments that are still JSON text.
    pub fn from_raw(raw: RawArgs) -> Self {
        Self {
            raw: Some(raw),
            values: OnceLock::new(),
        }
    }

    /// The arguments as the client sent them, when they are still that text (received in an
    /// EVENT that the default parser kept raw, and not changed since).
    pub fn raw(&self) -> Option<&RawArgs> {
        self.raw.as_ref()
    }

    /// How many arguments there are, without parsing them.
    pub fn len(&self) -> usize {
        match (self.values.get(), &self.raw) {
            (Some(values), _) => values.len(),
            (None, Some(raw)) => raw.len(),
            (None, None) => 0,
        }
    }

    /// Whether there is no argument, without parsing them.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The arguments as values, parsed now if they were still text.
    pub fn into_values(mut self) -> Vec<Value> {
        match (self.values.take(), self.raw) {
            (Some(values), _) => values,
            (None, Some(raw)) => raw.to_values(),
            (None, None) => Vec::new(),
        }
    }

    fn values(&self) -> &Vec<Value> {
        self.values
            .get_or_init(|| self.raw.as_ref().map_or_else(Vec::new, RawArgs::to_values))
    }
}

impl Deref for Args {
    type Target = Vec<Value>;

    fn deref(&self) -> &Vec<Value> {
        self.values()
    }
}

impl DerefMut for Args {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        // Whoever changes the values makes the text stale.
        if let Some(raw) = self.raw.take()
            && self.values.get().is_none()
        {
            self.values = OnceLock::from(raw.to_values());
        }
        if self.values.get().is_none() {
            self.values = OnceLock::from(Vec::new());
        }
        self.values
            .get_mut()
            .unwrap_or_else(|| unreachable!("the values were set above"))
    }
}

impl Clone for Args {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
            values: self.values.clone(),
        }
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (&self.raw, &other.raw)
            && a.iter().eq(b.iter())
        {
            return true;
        }
        self.values() == other.values()
    }
}

impl PartialEq<Vec<Value>> for Args {
    fn eq(&self, other: &Vec<Value>) -> bool {
        self.values() == other
    }
}

impl PartialEq<[Value]> for Args {
    fn eq(&self, other: &[Value]) -> bool {
        self.values().as_slice() == other
    }
}

impl<const N: usize> PartialEq<[Value; N]> for Args {
    fn eq(&self, other: &[Value; N]) -> bool {
        self.values().as_slice() == other.as_slice()
    }
}

impl fmt::Debug for Args {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.values.get(), &self.raw) {
            (None, Some(raw)) => raw.fmt(f),
            _ => self.values().fmt(f),
        }
    }
}

impl From<Vec<Value>> for Args {
    fn from(values: Vec<Value>) -> Self {
        Self {
            raw: None,
            values: OnceLock::from(values),
        }
    }
}

impl From<RawArgs> for Args {
    fn from(raw: RawArgs) -> Self {
        Self::from_raw(raw)
    }
}

impl From<Args> for Vec<Value> {
    fn from(args: Args) -> Self {
        args.into_values()
    }
}

impl FromIterator<Value> for Args {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Args {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_values().into_iter()
    }
}

impl<'a> IntoIterator for &'a Args {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.values().iter()
    }
}

/// The byte ranges of the elements of `json`, a JSON array, when it is valid and written as
/// `JSON.stringify` would write what `JSON.parse` reads from it, nested at most `max_depth`
/// levels below the array (and within serde_json's own recursion limit, so that the values
/// parse without it): then the elements can be kept as text and relayed as they are.
///
/// One pass, no allocation but the ranges. Conservative: `None` sends the text down the path
/// that parses it into values, which decides whether it is valid JSON at all and refuses it
/// with the right error if not. Whatever this accepts, serde_json accepts.
pub(crate) fn canonical_array(json: &str, max_depth: usize) -> Option<Vec<Range<usize>>> {
    // No control character anywhere: none may stand in a string, and whitespace between
    // tokens is not compact. Checked at once for the whole text (no early exit, so that it
    // vectorizes).
    if json.bytes().fold(false, |found, b| found | (b < 0x20)) {
        return None;
    }
    let mut scan = Scan {
        b: json.as_bytes(),
        i: 0,
        // serde_json's recursion limit is 128 levels, the array itself included.
        depth_left: max_depth.min(126) + 1,
    };
    let mut ranges = Vec::new();
    scan.open(b'[')?;
    if scan.eat(b']') {
        return (scan.i == scan.b.len()).then_some(ranges);
    }
    loop {
        let start = scan.i;
        scan.value()?;
        ranges.push(start..scan.i);
        match scan.next()? {
            b',' => {}
            b']' => break,
            _ => return None,
        }
    }
    (scan.i == scan.b.len()).then_some(ranges)
}

/// A compact-JSON recognizer (see [`canonical_array`]); recursive, at most 127 levels deep.
struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    depth_left: usize,
}

impl Scan<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.b.get(self.i)?;
        self.i += 1;
        Some(b)
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.b.get(self.i) == Some(&b);
        self.i += usize::from(found);
        found
    }

    /// Consumes an opening bracket, one level deeper.
    fn open(&mut self, bracket: u8) -> Option<()> {
        self.depth_left = self.depth_left.checked_sub(1)?;
        self.eat(bracket).then_some(())
    }

    fn value(&mut self) -> Option<()> {
        match *self.b.get(self.i)? {
            b'"' => self.string(),
            b'[' => self.array(),
            b'{' => self.object(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn array(&mut self) -> Option<()> {
        self.open(b'[')?;
        if !self.eat(b']') {
            loop {
                self.value()?;
                match self.next()? {
                    b',' => {}
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.depth_left += 1;
        Some(())
    }

    fn object(&mut self) -> Option<()> {
        self.open(b'{')?;
        if !self.eat(b'}') {
            loop {
                self.string()?;
                if !self.eat(b':') {
                    return None;
                }
                self.value()?;
                match self.next()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.depth_left += 1;
        Some(())
    }

    /// A string (without control characters, checked before), whose escapes are the short ones
    /// `JSON.stringify` writes (`\u` and `\/` are not).
    fn string(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        loop {
            let rest = self.b.get(self.i..)?;
            // No control character is left (see `canonical_array`).
            let k = memchr::memchr2(b'"', b'\\', rest)?;
            self.i += k + 1;
            if rest[k] == b'"' {
                return Some(());
            }
            match self.next()? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// A number in JSON's grammar, without exponent, and in JavaScript's shortest form.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            let before = self.i;
            self.digits();
            if self.i == before {
                return None;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            return None;
        }
        is_canonical_number(&self.b[start..self.i]).then_some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
    }
}

/// Whether a JSON number is written as JavaScript writes the number it denotes: no exponent,
/// at most 15 significant digits (so it is the shortest form of its double), no trailing zero
/// after the point, not `-0`, and not below 10⁻⁶ (written with an exponent in JavaScript).
fn is_canonical_number(n: &[u8]) -> bool {
    let digits = n.strip_prefix(b"-").unwrap_or(n);
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(p) => (&digits[..p], Some(&digits[p + 1..])),
        None => (digits, None),
    };
    if int.is_empty() || !int.iter().all(u8::is_ascii_digit) || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    let Some(frac) = frac else {
        return int.len() <= 15 && n != b"-0";
    };
    if frac.is_empty() || !frac.iter().all(u8::is_ascii_digit) || frac.ends_with(b"0") {
        return false;
    }
    let significant = if int == b"0" {
        let zeros = frac.iter().take_while(|&&b| b == b'0').count();
        if zeros >= 6 {
            return false;
        }
        frac.len() - zeros
    } else {
        int.len() + frac.len()
    };
    significant <= 15
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Arguments of `text` between the `(start, end)` offsets.
    fn raw(text: &str, ranges: &[(usize, usize)]) -> Args {
        let ranges = ranges.iter().map(|&(start, end)| start..end).collect();
        Args::from_raw(RawArgs::new(ByteString::from(text.to_owned()), ranges))
    }

    #[test]
    fn raw_args_parse_on_first_read() {
        let args = raw(r#"2["m",1,{"b":2,"a":[true]}]"#, &[(6, 7), (8, 26)]);
        assert_eq!(args.len(), 2);
        assert_eq!(format!("{args:?}"), r#"[1, {"b":2,"a":[true]}]"#);
        assert!(args.values.get().is_none(), "len and Debug do not parse");
        assert_eq!(args[1], json!({ "b": 2, "a": [true] }));
        assert_eq!(
            args.raw().map(|r| r.iter().collect::<Vec<_>>()),
            Some(vec!["1", r#"{"b":2,"a":[true]}"#])
        );
        assert_eq!(
            args.clone().into_values(),
            [json!(1), json!({ "b": 2, "a": [true] })]
        );
    }

    #[test]
    fn changing_raw_args_drops_the_text() {
        let mut args = raw(r#"2["m",1]"#, &[(6, 7)]);
        args.push(json!(2));
        assert!(args.raw().is_none());
        assert_eq!(args, vec![json!(1), json!(2)]);
    }

    /// Whatever `canonical_array` accepts, serde_json parses into the same elements: checked
    /// on thousands of mutations (bytes dropped, doubled, replaced by JSON's own characters) of
    /// a few payloads.
    #[test]
    fn canonical_arrays_are_valid_json() {
        let seeds = [
            r#"["m",1,-2.5,0.5,"a\"\\\n\tb","é😀",{"z":1,"a":[null,true,false,{}]},[],[[]]]"#,
            r#"["event",{"p":"abcdefghijklmnopqrstuvwxyz0123456789"},{"k":{"k":{"k":[1,2,3]}}}]"#,
            r#"["x","\b\f\r",{"":""},-0.125,10,100.25]"#,
        ];
        let alphabet = b"[]{}\",:\\-.0123456789eEtrufalsn \x01u/";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        let (mut accepted, mut refused) = (0, 0);
        for seed in seeds {
            assert!(canonical_array(seed, 1000).is_some(), "{seed}");
            for _ in 0..4000 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..=random(3) {
                    let at = random(bytes.len());
                    match random(3) {
                        0 => {
                            bytes.remove(at);
                        }
                        1 => bytes.insert(at, bytes[at]),
                        _ => bytes[at] = alphabet[random(alphabet.len())],
                    }
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                let Some(ranges) = canonical_array(text, 1000) else {
                    refused += 1;
                    continue;
                };
                accepted += 1;
                let parsed: Vec<Value> = match serde_json::from_str(text) {
                    Ok(parsed) => parsed,
                    Err(e) => panic!("accepted {text}, which serde_json refuses: {e}"),
                };
                let elements: Vec<Value> = ranges
                    .iter()
                    .map(|r| serde_json::from_str(&text[r.clone()]).unwrap_or(Value::Null))
                    .collect();
                assert_eq!(elements, parsed, "{text}");
            }
        }
        assert!(accepted > 100 && refused > 100, "{accepted} / {refused}");
    }

    #[test]
    fn canonical_text_is_what_json_stringify_writes() {
        for ok in [
            r#"["m",1,-2,0,1.5,-0.25,0.000001,123456789012345,"a\"\\\n\t","é",{"k":[null,true,false]}]"#,
            r#"[]"#,
            r#"["x",9007199254740]"#,
            r#"["\\","\"",""]"#,
        ] {
            assert!(canonical_array(ok, 1000).is_some(), "{ok}");
        }
        for not in [
            r#"["m", 1]"#,
            "[\"m\",\n1]",
            r#"["m",1.0]"#,
            r#"["m",1.50]"#,
            r#"["m",1e3]"#,
            r#"["m",1E3]"#,
            r#"["m",-0]"#,
            r#"["m",0.0000001]"#,
            r#"["m",1234567890123456]"#,
            r#"["m",0.1234567890123456]"#,
            r#"["m",01]"#,
            r#"["\u00e9"]"#,
            r#"["a\/b"]"#,
            r#"["unterminated]"#,
            r#"["escaped quote\"]"#,
            r#"["trailing backslash\"#,
        ] {
            assert!(canonical_array(not, 1000).is_none(), "{not}");
        }
        assert!(canonical_array(r#"["m",[[1]]]"#, 2).is_some());
        assert!(canonical_array(r#"["m",[[[1]]]]"#, 2).is_none());
        // Past serde_json's own limit the text goes down the value path.
        let deep = format!("[{}1{}]", "[".repeat(127), "]".repeat(127));
        assert!(canonical_array(&deep, 1000).is_none());
        let deepest = format!("[{}1{}]", "[".repeat(126), "]".repeat(126));
        assert!(canonical_array(&deepest, 1000).is_some());
    }
}
