//! The typed handles of a tree, in a module of their own named after it (`App`'s are in `app`):
//! a struct per supervisor with a field per child, bound by position.

use std::collections::HashSet;

use proc_macro2::{Ident, Literal, Spacing, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use super::tokens::{args_type, mailbox_type};
use crate::check::{handle_type_name, unraw};
use crate::model::{ChildKind, Sup, Tree};

/// The handles' module: the root's struct `Root`, the tree's handle `Handle`, and a struct per
/// nested supervisor named after its path (`api/db` is `ApiDb`).
pub(super) fn handles_module(tree: &Tree, module: &Ident) -> TokenStream {
    let vis = &tree.vis;
    let name = &tree.name;
    let root_ty = Ident::new("Root", name.span());
    let mut taken = Names::default();
    taken.claim("Root");
    taken.claim("Handle");
    let mut defined = taken.0.clone();
    nested_names(&tree.root, &mut Vec::new(), &mut defined);
    let mut items = TokenStream::new();
    let cx = Module {
        tree,
        defined: &defined,
    };
    handle_types(&cx, &tree.root, &root_ty, &[], &mut taken, &mut items);
    let doc_module = format!(
        "The typed handles of a running [`{name}`](super::{name}): [`Handle`], what `{name}::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own."
    );
    let doc_handle = format!(
        "A running [`{name}`](super::{name}): one field per child of its root (through [`Root`]), and the tree's handle."
    );
    quote_spanned! {name.span()=>
        #[doc = #doc_module]
        #vis mod #module {
            // The types the tree's options name are written where the tree is.
            #[allow(unused_imports)]
            use super::*;

            #[doc = #doc_handle]
            // A tree used only for its description or spec never names its handle.
            #[allow(dead_code)]
            pub type Handle = ::supervisor::TreeHandle<Root>;

            #items
        }
    }
}

/// The names of the structs of nested supervisors.
fn nested_names(sup: &Sup, path: &mut Vec<String>, out: &mut HashSet<String>) {
    for child in sup.children() {
        if let ChildKind::Sup(inner @ Sup::Static(_)) = &child.kind {
            path.push(unraw(&child.id));
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            out.insert(handle_type_name(&p));
            nested_names(inner, path, out);
            path.pop();
        }
    }
}

/// What every struct of the module is written with.
struct Module<'a> {
    tree: &'a Tree,
    /// Every name the module defines.
    defined: &'a HashSet<String>,
}

/// The struct names given out in one module: a clash, reported by the checks, is given a
/// numbered name so that the module still compiles.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn claim(&mut self, name: &str) -> String {
        let mut unique = name.to_owned();
        let mut n = 2;
        while !self.0.insert(unique.clone()) {
            unique = format!("{name}{n}");
            n += 1;
        }
        unique
    }
}

/// The handle type of a supervisor and, recursively, of its child supervisors. Each binds its
/// fields by position among its supervisor's declared children, which the expansion knows: no
/// lookup by name that could fail.
fn handle_types(
    cx: &Module<'_>,
    sup: &Sup,
    ty: &Ident,
    path: &[&str],
    taken: &mut Names,
    out: &mut TokenStream,
) {
    let tree = cx.tree;
    let tree_name = &tree.name;
    let local = cx.defined;
    let mut fields = Vec::new();
    let mut binds = Vec::new();
    let sup_path = if path.is_empty() {
        sup.id().to_owned()
    } else {
        format!("{}/{}", tree.root.id(), path.join("/"))
    };
    let bind = quote!(::supervisor::__private::bind);
    for (index, child) in sup.children().iter().enumerate() {
        // Types come from the fields': the binding says where, the field's type says what.
        let index = Literal::usize_unsuffixed(index);
        let field = &child.id;
        let id = unraw(&child.id);
        let docs = &child.docs;
        let (field_ty, value) = match &child.kind {
            ChildKind::Worker(w) => {
                let m = outer(mailbox_type(w), local);
                (
                    quote!(::supervisor::ChildRef<#m>),
                    quote!(#bind::child(&supervisor, #index)),
                )
            }
            ChildKind::Sup(Sup::Pool(p)) => {
                let m = outer(mailbox_type(&p.template.worker), local);
                (
                    quote!(::supervisor::PoolRef<#m>),
                    quote!(#bind::pool(&supervisor, #index)),
                )
            }
            ChildKind::Sup(Sup::Dynamic(d)) => {
                let a = outer(args_type(&d.template), local);
                let m = outer(mailbox_type(&d.template.worker), local);
                (
                    quote!(::supervisor::DynamicRef<#a, #m>),
                    quote!(#bind::dynamic(&supervisor, #index)),
                )
            }
            ChildKind::Sup(inner) => {
                let mut sub_path: Vec<&str> = path.to_vec();
                sub_path.push(&id);
                let name = taken.claim(&handle_type_name(&sub_path));
                let sub_ty = Ident::new(&name, child.id.span());
                handle_types(cx, inner, &sub_ty, &sub_path, taken, out);
                (
                    quote!(#sub_ty),
                    quote!(#sub_ty::__bind(#bind::supervisor(&supervisor, #index))),
                )
            }
        };
        let default_doc = format!("`{sup_path}/{id}`.");
        let doc = if docs.is_empty() {
            quote!(#[doc = #default_doc])
        } else {
            quote!(#(#docs)*)
        };
        fields.push(quote!(#doc pub #field: #field_ty));
        binds.push(quote!(#field: #value));
    }
    let doc = if path.is_empty() {
        format!("The root of a running [`{tree_name}`](super::{tree_name}): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    } else {
        format!("Supervisor `{sup_path}` of a running [`{tree_name}`](super::{tree_name}): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.")
    };
    // A dynamic root is reached through the tree's handle, not a field: it starts children here.
    let dynamic_root = match sup {
        Sup::Dynamic(d) if path.is_empty() => {
            let a = outer(args_type(&d.template), local);
            let m = outer(mailbox_type(&d.template.worker), local);
            Some(quote! {
                /// Starts a child from the root's template.
                pub async fn start_child(&self, args: #a) -> ::core::result::Result<::supervisor::ChildRef<#m>, ::supervisor::ManagementError> {
                    #bind::this_dynamic::<#a, #m>(&self._supervisor).start_child(args).await
                }
            })
        }
        _ => None,
    };
    // Spanned at the name it is made from, so that a clash with another item is reported there.
    out.extend(quote_spanned! {ty.span()=>
        #[doc = #doc]
        #[derive(::core::clone::Clone)]
        #[allow(dead_code)]
        pub struct #ty {
            // No child's id can be this name: ids start with a letter.
            _supervisor: ::supervisor::SupervisorRef,
            #(#fields,)*
        }
    });
    let ty_name = format!("{}::{ty}", super::module_name(tree));
    out.extend(quote! {
        // By hand: the supervisor's path says which it is, and a derive would cost a line per
        // child to compile.
        impl ::core::fmt::Debug for #ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#ty_name).field("supervisor", &self._supervisor).finish_non_exhaustive()
            }
        }

        impl #ty {
            #[doc(hidden)]
            pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
                Self { #(#binds,)* _supervisor: supervisor }
            }

            #dynamic_root

            /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
            /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
            pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
                &self._supervisor
            }
        }

        impl ::core::ops::Deref for #ty {
            type Target = ::supervisor::SupervisorRef;
            fn deref(&self) -> &::supervisor::SupervisorRef {
                &self._supervisor
            }
        }
    });
}

/// A type the user wrote beside the tree, as the handles' module must write it: a name that
/// module defines itself (`Root`, `Api`) would hide the user's type of that name, so such a name
/// is reached through `super::`.
fn outer(ty: TokenStream, defined: &HashSet<String>) -> TokenStream {
    let mut out = TokenStream::new();
    let mut after_path_sep = false;
    for tt in ty {
        match tt {
            TokenTree::Ident(i) if !after_path_sep && defined.contains(&i.to_string()) => {
                let sup = Ident::new("super", i.span());
                out.extend(quote!(#sup::#i));
                after_path_sep = false;
            }
            TokenTree::Group(g) => {
                let mut inner = proc_macro2::Group::new(g.delimiter(), outer(g.stream(), defined));
                inner.set_span(g.span());
                out.extend([TokenTree::Group(inner)]);
                after_path_sep = false;
            }
            TokenTree::Punct(p) => {
                // `::` and `'` (a lifetime) make the ident after them not a leading name.
                after_path_sep =
                    p.as_char() == '\'' || (p.as_char() == ':' && p.spacing() == Spacing::Alone);
                out.extend([TokenTree::Punct(p)]);
            }
            other => {
                after_path_sep = false;
                out.extend([other]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::Type;

    #[test]
    fn a_user_type_named_as_a_handle_is_reached_through_super() {
        let defined: HashSet<String> = ["Root".to_string(), "Api".to_string()].into();
        let ty: Type = syn::parse_quote!(Vec<Api<'a, crate::Root>>);
        let out = outer(ty.to_token_stream(), &defined).to_string();
        assert_eq!(out, "Vec < super :: Api < 'a , crate :: Root > >");
    }
}
