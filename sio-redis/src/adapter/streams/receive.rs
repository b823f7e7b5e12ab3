//! What the streams adapter reads from its stream: broadcasts, join, leave and disconnect of
//! other servers, applied in arrival order like what comes through pub/sub
//! ([`cluster::apply`](crate::adapter::cluster::apply)).

use std::sync::Arc;

use super::Inner;
use crate::adapter::cluster::apply;
use crate::wire::ClusterMessage;

impl Inner {
    /// Applies one stream entry (`id` is its offset).
    pub(super) fn on_entry(self: &Arc<Self>, id: &str, fields: &[(Vec<u8>, Vec<u8>)]) {
        let fields = fields.iter().map(|(k, v)| (k.as_slice(), v.as_slice()));
        match ClusterMessage::from_stream_fields(fields) {
            Ok(Some(message)) => apply(self, message, Some(id)),
            Ok(None) => {}
            Err(error) => {
                sio_core::warn_limited!(namespace = %self.name, entry = id, %error, "unreadable stream entry ignored");
            }
        }
    }
}
