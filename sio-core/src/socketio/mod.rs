//! The Socket.IO v5 layer: packets and their parsers.
//!
//! This module grows with the Socket.IO core issue; today it holds the packet model and the
//! default parser (JSON with binary attachments).

pub mod packet;
pub mod parser;

pub use packet::{
    DEFAULT_NAMESPACE, Packet, PacketKind, PacketType, Placeholders, RESERVED_EVENTS,
    is_placeholder, placeholder, placeholder_num, placeholders,
};
pub use parser::{
    DEFAULT_MAX_ATTACHMENTS, DecodeError, DecodeStatus, EncodeError, Frame, JsonDecoder,
    JsonParser, PacketDecoder, Parser,
};
