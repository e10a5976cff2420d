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

/// A type's name without module paths, as the macro writes it (`Vec<alloc::string::String>` is
/// `Vec<String>`), so that a picture from a spec reads as one from `TREE`.
pub(crate) fn short(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut segment = String::new();
    for c in name.chars().chain(std::iter::once('\0')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
            continue;
        }
        out.push_str(segment.rsplit("::").next().unwrap_or_default());
        segment.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}
