//! Type identities shared by specs, nodes and handles.

use std::any::{Any, TypeId};
use std::sync::Arc;

/// A value of any type, shared: a dynamic child's arguments.
pub(crate) type AnyArc = Arc<dyn Any + Send + Sync>;

/// A type's identity and its name for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypeTag {
    pub id: TypeId,
    pub name: &'static str,
}

impl TypeTag {
    pub(crate) fn of<T: 'static>() -> Self {
        TypeTag {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}
