use sio_core::prelude::*;

#[derive(Default)]
struct Cluster;

#[namespace("/cluster")]
impl Cluster {
    /// A client event and a server-side emit may share a name...
    #[on("ping")]
    async fn client_ping(&self) {}

    #[on_server_side("ping")]
    async fn first(&self) {}

    /// ...but one server-side event has one listener.
    #[on_server_side("ping")]
    async fn second(&self) {}

    #[on_server_side]
    async fn nameless(&self) {}
}

fn main() {}
