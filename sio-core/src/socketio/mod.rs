//! The Socket.IO v5 layer: packets and their parsers.
//!
//! This module grows with the Socket.IO core issue; today it holds the packet model and the
//! default parser (JSON with binary attachments).
