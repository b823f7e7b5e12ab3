//! Namespaces that register themselves (`#[namespace]` with the `inventory` feature), and what
//! their constructors see.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use super::namespace::Namespace;

/// The registration record `#[namespace]` submits.
#[derive(Debug)]
pub struct Registration {
    /// The namespace path.
    pub path: &'static str,
    /// The handler type's full name.
    pub type_name: &'static str,
    /// The handler type's id (to tell an explicitly mounted value of the same type).
    pub type_id: fn() -> TypeId,
    /// Builds the handler value.
    pub make: fn(&BuildContext<'_>) -> Result<Arc<dyn Namespace>, String>,
}

#[cfg(feature = "inventory")]
inventory::collect!(Registration);

/// Every registered namespace, sorted by path.
pub(crate) fn registered() -> Vec<&'static Registration> {
    #[cfg(feature = "inventory")]
    {
        let mut all: Vec<&'static Registration> = inventory::iter::<Registration>().collect();
        all.sort_by_key(|r| (r.path, r.type_name));
        all
    }
    #[cfg(not(feature = "inventory"))]
    {
        Vec::new()
    }
}

/// What a registered namespace's constructor (`init`) can read: the shared state.
pub struct BuildContext<'a> {
    pub(crate) state: &'a HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for BuildContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildContext").finish_non_exhaustive()
    }
}

impl BuildContext<'_> {
    /// A clone of the shared state of type `T`.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.state
            .get(&TypeId::of::<T>())?
            .downcast_ref::<T>()
            .cloned()
    }
}

/// An event a namespace handles: its name, payload type and ack type, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// The event name.
    pub name: &'static str,
    /// The `#[data]` type (`"()"` without one).
    pub payload: &'static str,
    /// The return type (`"()"` without one).
    pub ack: &'static str,
}
