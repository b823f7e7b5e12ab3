//! One subscriber connection shared by several consumers — the adapters of every namespace a
//! factory builds, as Node's adapters share the `subClient` they are given. Each consumer
//! attaches with its own subscriptions and receives the messages of those only, in the order
//! Redis sent them, plus the connection's outages and recoveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::subscriber::Sink;
use super::{ConnConfig, ConnError, SubEvent, SubEvents, Subscriber, Subscription};

/// Which consumer gets which subscription's messages.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    state: Mutex<RouteState>,
}

#[derive(Debug, Default)]
struct RouteState {
    next_id: u64,
    consumers: HashMap<u64, mpsc::Sender<SubEvent>>,
    /// The consumers of each subscription (usually one: channels are per namespace).
    routes: HashMap<Subscription, Vec<u64>>,
}

impl Routes {
    fn state(&self) -> MutexGuard<'_, RouteState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `event` to the consumers it concerns: a message to its subscription's, an outage
    /// or a recovery to all. The first connection's `Connected` goes to nobody: each consumer
    /// hears it once its own first subscriptions are confirmed (see
    /// [`SharedSubscriber::attach`]). A consumer that is slow to take its events holds the
    /// connection's reading, as a consumer of its own connection would.
    pub(super) async fn deliver(&self, event: SubEvent) {
        let mut targets: Vec<mpsc::Sender<SubEvent>> = {
            let state = self.state();
            match &event {
                SubEvent::Message(message) => state
                    .routes
                    .get(&message.subscription)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| state.consumers.get(id).cloned())
                    .collect(),
                SubEvent::Connected { reconnected: false } => Vec::new(),
                _ => state.consumers.values().cloned().collect(),
            }
        };
        let Some(last) = targets.pop() else {
            return;
        };
        for consumer in targets {
            // A consumer gone is detached when its handle is dropped.
            let _ = consumer.send(event.clone()).await;
        }
        let _ = last.send(event).await;
    }
}

/// A subscriber connection that several consumers share; see the module's documentation. The
/// connection lives as long as the `Arc` and the consumers' handles.
#[derive(Debug)]
pub(crate) struct SharedSubscriber {
    subscriber: Subscriber,
    routes: Arc<Routes>,
    buffer: usize,
}

impl SharedSubscriber {
    /// Starts the connection (in the background), with no subscription yet. Must be called
    /// within a tokio runtime.
    pub(crate) fn new(config: ConnConfig) -> Result<Arc<Self>, ConnError> {
        let buffer = config.subscriber_buffer.max(1);
        let routes = Arc::new(Routes::default());
        let subscriber = Subscriber::start(config, [], Sink::Routed(routes.clone()))?;
        Ok(Arc::new(Self {
            subscriber,
            routes,
            buffer,
        }))
    }

    /// A new consumer with its first `subscriptions`. Its events: [`SubEvent::Connected`]
    /// (`reconnected: false`) once those are confirmed, their messages, and the connection's
    /// [`SubEvent::Disconnected`] and `Connected { reconnected: true }` (after which every
    /// subscription is in place again, including first ones an outage interrupted).
    pub(crate) fn attach(
        self: &Arc<Self>,
        subscriptions: Vec<Subscription>,
    ) -> (SharedSubscription, SubEvents) {
        let (events, rx) = mpsc::channel(self.buffer);
        let id = {
            let mut state = self.routes.state();
            let id = state.next_id;
            state.next_id += 1;
            state.consumers.insert(id, events.clone());
            id
        };
        let handle = SharedSubscription {
            shared: self.clone(),
            id,
        };
        let confirmed: Vec<_> = subscriptions
            .into_iter()
            .map(|subscription| handle.subscribe(subscription))
            .collect();
        tokio::spawn(async move {
            for confirmation in confirmed {
                if confirmation.await.is_err() {
                    // Refused, or the connection is down: `Connected { reconnected: true }`
                    // follows once it is back and everything is subscribed again.
                    return;
                }
            }
            let _ = events
                .send(SubEvent::Connected { reconnected: false })
                .await;
        });
        (handle, SubEvents::from_receiver(rx))
    }
}

/// One consumer's handle on a [`SharedSubscriber`]: its subscriptions are undone when it is
/// dropped.
#[derive(Debug)]
pub(crate) struct SharedSubscription {
    shared: Arc<SharedSubscriber>,
    id: u64,
}

impl SharedSubscription {
    /// Subscribes this consumer; resolves once Redis confirmed (see
    /// [`Subscriber::subscribe`]).
    pub(crate) fn subscribe(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = Result<(), ConnError>> + Send + 'static {
        {
            let mut state = self.shared.routes.state();
            let ids = state.routes.entry(subscription.clone()).or_default();
            if !ids.contains(&self.id) {
                ids.push(self.id);
            }
        }
        // Asked of Redis even when another consumer has it: the confirmation then means that
        // it is in place.
        self.shared.subscriber.subscribe(subscription)
    }

    /// Unsubscribes this consumer; Redis is asked only when no other consumer has the
    /// subscription. Resolves once done.
    pub(crate) fn unsubscribe(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = Result<(), ConnError>> + Send + 'static {
        let last = {
            let mut state = self.shared.routes.state();
            remove_route(&mut state, &subscription, self.id)
        };
        let unsubscribed = last.then(|| self.shared.subscriber.unsubscribe(subscription));
        async move {
            match unsubscribed {
                Some(unsubscribed) => unsubscribed.await,
                None => Ok(()),
            }
        }
    }
}

impl Drop for SharedSubscription {
    fn drop(&mut self) {
        let orphaned: Vec<Subscription> = {
            let mut state = self.shared.routes.state();
            state.consumers.remove(&self.id);
            let mine: Vec<Subscription> = state
                .routes
                .iter()
                .filter(|(_, ids)| ids.contains(&self.id))
                .map(|(subscription, _)| subscription.clone())
                .collect();
            mine.into_iter()
                .filter(|subscription| remove_route(&mut state, subscription, self.id))
                .collect()
        };
        for subscription in orphaned {
            // Queued now; nobody waits for the confirmation.
            drop(self.shared.subscriber.unsubscribe(subscription));
        }
    }
}

/// Removes consumer `id` from `subscription`'s route; whether nobody is left on it.
fn remove_route(state: &mut RouteState, subscription: &Subscription, id: u64) -> bool {
    let Some(ids) = state.routes.get_mut(subscription) else {
        return false;
    };
    let before = ids.len();
    ids.retain(|other| *other != id);
    if ids.is_empty() {
        state.routes.remove(subscription);
        return before > 0;
    }
    false
}
