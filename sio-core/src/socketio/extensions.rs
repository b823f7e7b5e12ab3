//! Typed per-socket state.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Mutex;

/// A map from type to value: per-socket state that middlewares and handlers share
/// ([`Socket::extensions`](super::Socket::extensions), the [`Extension`](super::Extension)
/// extractor).
///
/// ```
/// use sio_core::socketio::Extensions;
/// #[derive(Clone, Debug, PartialEq)]
/// struct User(String);
/// let ext = Extensions::default();
/// assert_eq!(ext.insert(User("ana".into())), None);
/// assert_eq!(ext.get::<User>(), Some(User("ana".into())));
/// assert_eq!(ext.remove::<User>(), Some(User("ana".into())));
/// assert!(!ext.contains::<User>());
/// ```
#[derive(Default)]
pub struct Extensions {
    map: Mutex<Option<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions").finish_non_exhaustive()
    }
}

impl Extensions {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<HashMap<TypeId, Box<dyn Any + Send + Sync>>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores a value, returning the one it replaces.
    pub fn insert<T: Clone + Send + Sync + 'static>(&self, value: T) -> Option<T> {
        self.lock()
            .get_or_insert_with(HashMap::new)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }

    /// A clone of the stored value of type `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.lock()
            .as_ref()?
            .get(&TypeId::of::<T>())?
            .downcast_ref::<T>()
            .cloned()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.lock()
            .as_mut()?
            .remove(&TypeId::of::<T>())
            .and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }

    /// Whether a value of type `T` is stored.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|m| m.contains_key(&TypeId::of::<T>()))
    }
}
