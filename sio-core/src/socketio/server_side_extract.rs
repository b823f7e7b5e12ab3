//! Extractors of server-side listeners ([`FromServerSideEmit`]): what the parameters of an
//! `#[on_server_side("event")]` method can be. A server-side emit comes from another server,
//! not from a socket, so only the extractors that need no socket have an implementation.

use serde::de::DeserializeOwned;

use super::extract::{Data, Event, ExtractError, RawData, State, TryData};
use super::server::SocketIo;
use super::server_side::ServerSideEmit;
use super::value::args_from;

/// A parameter of a server-side listener (`#[on_server_side("event")]` in a `#[namespace]`),
/// taken from the [`ServerSideEmit`] and the server it arrived on.
///
/// The emit's arguments ([`Data`], [`TryData`], [`RawData`], or a `#[data]` parameter), its
/// name ([`Event`]), the server ([`SocketIo`]) and its shared state ([`State`]) are available;
/// what belongs to a socket ([`SocketRef`](super::SocketRef),
/// [`Extension`](super::Extension), [`Handshake`](super::Handshake), …) is not: the emit
/// comes from another server. An extractor that fails answers the sender
/// `{"error": "<message>"}` when it asked for an answer.
///
/// Implement it for types of your own to read something else from the emit or the server:
///
/// ```
/// use sio_core::socketio::{ExtractError, FromServerSideEmit, ServerSideEmit};
///
/// /// How many arguments the emit carries.
/// struct ArgCount(usize);
///
/// impl FromServerSideEmit for ArgCount {
///     fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
///         Ok(ArgCount(emit.args().len()))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a server-side listener",
    label = "the emit's payload? mark it `#[data]` (or take `Data<{Self}>`)",
    note = "a server-side emit comes from another server, not from a socket: its listeners take SocketIo, State<T>, Data<T>, TryData<T>, RawData, Event, or a type implementing FromServerSideEmit"
)]
pub trait FromServerSideEmit: Sized + Send + 'static {
    /// Extracts the value.
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError>;
}

impl<T: DeserializeOwned + Send + 'static> FromServerSideEmit for Data<T> {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        let args = emit.take_args();
        args_from(&args, emit.attachments())
            .map(Data)
            .map_err(|source| ExtractError::InvalidPayload {
                event: emit.event().to_owned(),
                source,
            })
    }
}

impl<T: DeserializeOwned + Send + 'static> FromServerSideEmit for TryData<T> {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        let args = emit.take_args();
        Ok(TryData(args_from(&args, emit.attachments())))
    }
}

impl FromServerSideEmit for RawData {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        Ok(RawData {
            args: emit.take_args().into(),
            attachments: emit.take_attachments(),
        })
    }
}

impl FromServerSideEmit for Event {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        Ok(Event(emit.event().to_owned()))
    }
}

impl<T: Clone + Send + Sync + 'static> FromServerSideEmit for State<T> {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        emit.server()
            .and_then(|s| s.state::<T>())
            .map(State)
            .ok_or_else(|| ExtractError::NoState(std::any::type_name::<T>()))
    }
}

impl FromServerSideEmit for SocketIo {
    fn from_server_side_emit(emit: &mut ServerSideEmit) -> Result<Self, ExtractError> {
        emit.server()
            .and_then(|s| s.handle())
            .ok_or(ExtractError::ServerGone)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_payload_and_the_name_come_from_the_emit() {
        let mut emit = ServerSideEmit::new("ping", vec![json!(1), json!("two")]);
        let Event(name) = Event::from_server_side_emit(&mut emit).unwrap();
        assert_eq!(name, "ping");
        let Data((n, s)) = Data::<(u32, String)>::from_server_side_emit(&mut emit).unwrap();
        assert_eq!((n, s.as_str()), (1, "two"));

        let mut emit = ServerSideEmit::new("ping", vec![json!("not a number")]);
        let err = Data::<u32>::from_server_side_emit(&mut emit).err();
        assert!(
            matches!(err, Some(ExtractError::InvalidPayload { ref event, .. }) if event == "ping")
        );
    }

    #[test]
    fn an_emit_delivered_on_no_server_has_no_state_nor_server() {
        let mut emit = ServerSideEmit::new("ping", vec![]);
        assert_eq!(
            State::<u8>::from_server_side_emit(&mut emit).err(),
            Some(ExtractError::NoState("u8"))
        );
        assert_eq!(
            SocketIo::from_server_side_emit(&mut emit).err(),
            Some(ExtractError::ServerGone)
        );
    }
}
