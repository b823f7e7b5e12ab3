//! A payload type of one's own may share a name with one of sio's extractors: `#[data]` on it
//! is not mistaken for `#[data]` on the extractor.
use serde::Deserialize;
use sio_core::prelude::*;

#[derive(Deserialize)]
struct Event {
    name: String,
}

mod game {
    #[derive(serde::Deserialize)]
    pub struct Data<T>(pub T);
}

#[derive(Default)]
struct Game;

#[namespace("/game")]
impl Game {
    #[on("event")]
    async fn event(&self, #[data] event: Event) {
        let _ = event.name;
    }

    #[on("data")]
    async fn data(&self, #[data] data: game::Data<u32>) {
        let _ = data.0;
    }
}

fn main() {}
