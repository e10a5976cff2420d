//! The `supervision_tree!` macro of the [`supervisor`](https://docs.rs/supervisor) crate. Use it
//! through that crate, which documents the grammar.

mod check;
mod expand;
mod parse;
mod suggest;

use proc_macro2::TokenStream;

/// Declares a supervision tree, checked at compile time. See the `supervisor` crate's docs.
#[proc_macro]
pub fn supervision_tree(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    tree(input.into()).into()
}

/// Parse, check, expand; on errors, every error plus a fallback that keeps the type names.
fn tree(input: TokenStream) -> TokenStream {
    let ast = match syn::parse2::<parse::TreeAst>(input) {
        Ok(ast) => ast,
        Err(e) => return e.into_compile_error(),
    };
    let fallback = expand::fallback(&ast);
    match check::check(ast) {
        Ok(tree) => expand::expand(&tree),
        Err(e) => {
            let mut out = e.into_compile_error();
            out.extend(fallback);
            out
        }
    }
}

#[cfg(test)]
mod snapshots;

#[cfg(test)]
mod never_panic;
