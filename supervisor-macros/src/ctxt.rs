//! Errors gathered over the whole tree, reported together (after serde_derive's `Ctxt`).

use std::cell::{Cell, RefCell};
use std::fmt::Display;

use proc_macro2::Span;

use crate::suggest::did_you_mean;

/// Where the checks put their errors. Every error is kept, and [`Ctxt::check`] gives them all
/// at once; dropping a context without checking it would lose them, which the tests catch.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
    /// Set by an error that changes the tree's shape or names (a child left out, an id or a
    /// type name that cannot be generated): the checked tree cannot be expanded then.
    shape: Cell<bool>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
            shape: Cell::new(false),
        }
    }

    /// An error about a value: the tree keeps its shape, with a default in the value's place.
    pub(crate) fn error_at(&self, span: Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// An error about the tree's shape or names.
    pub(crate) fn shape_error_at(&self, span: Span, msg: impl Display) {
        self.shape.set(true);
        self.error_at(span, msg);
    }

    /// An error about a value, made elsewhere (a syntax error of a value's parser).
    pub(crate) fn push(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// A syntax error that left part of the tree out.
    pub(crate) fn push_shape(&self, error: syn::Error) {
        self.shape.set(true);
        self.push(error);
    }

    /// "unknown `what` `got`; expected one of ..", with a "did you mean" when `got` is close to
    /// one of `expected`.
    pub(crate) fn unknown(&self, span: Span, what: &str, got: &str, expected: &[&str]) {
        let mut msg = format!("unknown {what} `{got}`; expected one of {}", list(expected));
        match (crate::grammar::renamed(got), did_you_mean(got, expected)) {
            (Some(new), Some(s)) if new == s => msg.push_str(&format!(
                "\n  help: `{got}` is now `{s}`, the name the builder and the rules use"
            )),
            (_, Some(s)) => msg.push_str(&format!("\n  help: did you mean `{s}`?")),
            _ => {}
        }
        self.error_at(span, msg);
    }

    /// Records that an error reported just now changed the tree's shape.
    pub(crate) fn mark_shape(&self) {
        self.shape.set(true);
    }

    /// Whether an error so far changed the tree's shape.
    pub(crate) fn shape_broken(&self) -> bool {
        self.shape.get()
    }

    /// All the errors, combined into one (each keeps its span), or `Ok` when there are none.
    pub(crate) fn check(self) -> Result<(), syn::Error> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut iter = errors.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                first.extend(iter);
                Err(first)
            }
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        // A context dropped unchecked would swallow its errors: a bug of the checker, caught by
        // the tests. The macro itself must not panic, so it is not checked outside them.
        if cfg!(test) && !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("Ctxt dropped without check()");
        }
    }
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::Ctxt;
    use proc_macro2::Span;

    #[test]
    fn every_error_is_reported_together() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "one");
        cx.shape_error_at(Span::call_site(), "two");
        assert!(cx.shape_broken());
        let err = cx.check().unwrap_err();
        let all: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(all, ["one", "two"]);
    }

    #[test]
    #[should_panic(expected = "without check")]
    fn an_unchecked_context_is_a_bug() {
        let cx = Ctxt::new();
        cx.error_at(Span::call_site(), "lost");
    }
}
