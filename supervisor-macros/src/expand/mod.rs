//! The checked tree to its items, one output to a module: the spec's builder calls (`spec`),
//! tree parameters in user expressions (`params`), the `const` description (`describe`), the
//! typed handles (`handles`), and the values all of them write (`tokens`). A tree with errors
//! expands through the same functions, its spec's body left out, so that its items stay and
//! the user's mistakes are the only errors.

mod describe;
mod handles;
mod params;
mod spec;
mod tokens;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::Type;

use crate::check::unraw;
use crate::model::{Sup, Tree};

/// The tree's items. A tree that is not `buildable` (its errors changed its shape or left a
/// placeholder) gets the same items with `spec`'s body left out.
pub(crate) fn expand(tree: &Tree, buildable: bool) -> TokenStream {
    let Tree {
        attrs,
        vis,
        name,
        params,
        root,
        breakers,
    } = tree;
    // The handles' module carries the span of the tree's name: should it clash with another
    // item (a module `app` beside a tree `App`), rustc points at the user's token.
    let module = module_ident(tree);
    let handle = quote!(#module::Handle);
    let names: Vec<&Ident> = params.iter().map(|p| &p.name).collect();
    let types: Vec<&Type> = params.iter().map(|p| &p.ty).collect();
    // Mailbox types are checked where they are written, in the body that builds the children
    // from them, so that rustc reports a type that is not a `Message` once (see
    // `__private::with_mailbox`); without the builders, by themselves.
    let type_span = |m: &Type| {
        m.to_token_stream()
            .into_iter()
            .next()
            .map_or_else(Span::call_site, |t| t.span())
    };
    let mailbox_checks = (root.workers().iter())
        .filter_map(|w| w.mailbox.as_ref())
        .map(|m| {
            let span = type_span(m);
            quote_spanned!(span=> ::supervisor::__private::assert_message::<#m>();)
        })
        .collect::<TokenStream>();
    let shared = tokens::Shared::of(root, params);
    let spec = if buildable {
        // The constructors check each mailbox type where it is written.
        spec::spec_body(root, breakers, params, &shared)
    } else {
        // The errors say what is missing; the signature stays for the program's uses of it.
        quote!(#mailbox_checks #(let _ = #names;)* ::core::unreachable!())
    };
    let spec_type = match root {
        Sup::Dynamic(_) => quote!(::supervisor::DynamicSupervisorSpec),
        Sup::Static(_) => quote!(::supervisor::SupervisorSpec),
        // The root is never a pool: the checks say so.
        Sup::Pool(p) => {
            let m = tokens::mailbox_type(&p.template.worker);
            quote!(::supervisor::PoolSpec<#m>)
        }
    };
    let root_desc = describe::describe_sup(root, None, &shared);
    let shared_consts = shared.consts();
    let breaker_names: Vec<String> = breakers.iter().map(|b| unraw(&b.name)).collect();
    let name_str = unraw(name);
    let handles = handles::handles_module(tree, &module);

    // A parameter no expression uses is checked here; the others are checked where they are
    // cloned, so that each is reported once.
    let exprs = root.user_exprs();
    let param_checks = (params.iter())
        .filter(|p| !buildable || !exprs.iter().any(|e| crate::parse::mentions(e, &p.name)))
        .map(|p| {
        let ty = &p.ty;
        quote_spanned!(p.ty_span()=> const _: () = ::supervisor::__private::assert_tree_param::<#ty>();)
    });
    let doc_spec = format!(
        "Builds the spec of [`{name}`]: what [`{name}::start`] starts. Tree parameters are cloned for every incarnation that uses them."
    );
    let doc_start = format!(
        "Starts the tree and returns once every child is up, with a [`{module}::Handle`] whose fields mirror the tree."
    );
    let doc_tree = format!("The shape of [`{name}`], without starting anything.");
    let doc_observed = format!(
        "Starts the tree as [`{name}::start`] does, with the observer's streams receiving every event from the first start on, a failed start included."
    );
    let doc_run = format!(
        "Runs [`{name}`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit)."
    );
    // Not a name the tree's parameters can take: they are the user's.
    let observer = Ident::new("observer", Span::mixed_site());
    // Spanned at the name, so that a clash with another item is reported there.
    // A name that is not UpperCamelCase has had its error; rustc's warning would repeat it.
    let lint = (!crate::check::rules::is_upper_camel(&unraw(name)))
        .then(|| quote!(#[allow(non_camel_case_types)]));
    let item = quote_spanned!(name.span()=> #(#attrs)* #lint #vis struct #name;);
    quote! {
        #item

        impl #name {
            #shared_consts

            #[doc = #doc_tree]
            pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
                name: #name_str,
                root: #root_desc,
                breakers: &[#(#breaker_names),*],
            };

            #[doc = #doc_spec]
            pub fn spec(#(#names: #types),*) -> #spec_type {
                #spec
            }

            #[doc = #doc_start]
            pub async fn start(#(#names: #types),*) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                Self::start_observed(#(#names,)* &::supervisor::Observer::new()).await
            }

            #[doc = #doc_observed]
            pub async fn start_observed(#(#names: #types,)* #observer: &::supervisor::Observer) -> ::core::result::Result<#handle, ::supervisor::StartError> {
                let handle = ::supervisor::Supervisor::start_observed(Self::spec(#(#names),*), #observer).await?;
                let root = #module::Root::__bind(handle.root().clone());
                ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
            }

            #[doc = #doc_run]
            pub async fn run(#(#names: #types),*) -> ::supervisor::Exit {
                ::supervisor::Supervisor::run(Self::spec(#(#names),*)).await
            }
        }

        #handles

        #(#param_checks)*
    }
}

#[cfg(test)]
pub(crate) use describe::describe_for_bench;
#[cfg(test)]
pub(crate) use spec::spec_for_bench;

/// The name of the module of the tree's handles (`App`'s are in `app`), spanned at the tree's
/// name; raw where it is a keyword (`Type`'s are in `r#type`).
fn module_ident(tree: &Tree) -> Ident {
    let mut name = crate::check::handles_module_name(&unraw(&tree.name));
    if ["self", "super", "crate"].contains(&name.as_str()) {
        // `Super` and `Crate` are reported; the tree keeps its items under another module name.
        name.push_str("_handles");
    }
    let mut ident = syn::parse_str::<Ident>(&name)
        .or_else(|_| syn::parse_str::<Ident>(&format!("r#{name}")))
        .unwrap_or_else(|_| Ident::new("handles", Span::call_site()));
    ident.set_span(tree.name.span());
    ident
}

/// The module's name as the handles' docs write it.
pub(super) fn module_name(tree: &Tree) -> String {
    module_ident(tree).to_string()
}

#[cfg(test)]
mod tests {
    /// The items of `App` generated from `body`, errors and all, as a parsed file.
    fn items(body: &str) -> (usize, syn::File) {
        let src = format!("App: one_for_one {{ {body} }}");
        let out = crate::tree(src.parse().expect("lexes")).to_string();
        let errors = out.matches("compile_error").count();
        (errors, syn::parse_file(&out).expect("the expansion parses"))
    }

    /// The fields of the struct `name` in the module `app`, and whether `App::TREE` is there.
    fn shape(file: &syn::File, name: &str) -> (Vec<String>, bool) {
        let mut fields = Vec::new();
        let mut tree = false;
        for item in &file.items {
            match item {
                syn::Item::Mod(m) if m.ident == "app" => {
                    for inner in &m.content.as_ref().expect("inline").1 {
                        if let syn::Item::Struct(s) = inner {
                            if s.ident == name {
                                fields.extend(s.fields.iter().filter_map(|f| {
                                    let id = f.ident.as_ref()?.to_string();
                                    (id != "_supervisor").then_some(id)
                                }));
                            }
                        }
                    }
                }
                syn::Item::Impl(i) => {
                    tree |= i
                        .items
                        .iter()
                        .any(|it| matches!(it, syn::ImplItem::Const(c) if c.ident == "TREE"));
                }
                _ => {}
            }
        }
        (fields, tree)
    }

    #[test]
    fn every_error_class_keeps_every_item() {
        // One mistake of each kind that changes the tree's shape, beside children that are
        // right: the handle keeps every field it can name, and the tree its `TREE`.
        let cases = [
            (
                "a worker without a start expression",
                "db: worker(), api: worker(run)",
            ),
            ("a worker with two", "db: worker(a, b), api: worker(run)"),
            ("an unknown node kind", "db: gadget(run), api: worker(run)"),
            (
                "a dynamic supervisor without a template",
                "db: dynamic, api: worker(run)",
            ),
            (
                "a dynamic supervisor whose template is a supervisor",
                "db: dynamic { one_for_one { w: worker(run) } }, api: worker(run)",
            ),
            (
                "a pool without a template",
                "db: pool(size = 2), api: worker(run)",
            ),
            (
                "a mailbox that is not a type",
                "db: worker(run) [mailbox = 1 +], api: worker(run)",
            ),
            (
                "a duplicate id",
                "db: worker(run), api: worker(run), db: worker(run)",
            ),
            (
                "a keyword id",
                "db: worker(run), api: worker(run), type: worker(run)",
            ),
            (
                "a child without an id",
                "db: worker(run), api: worker(run), worker(run)",
            ),
        ];
        for (what, body) in cases {
            let (errors, file) = items(body);
            assert!(errors >= 1, "{what}: reported");
            let (fields, tree) = shape(&file, "Root");
            assert!(tree, "{what}: TREE kept");
            for f in ["db", "api"] {
                assert!(
                    fields.contains(&f.to_string()),
                    "{what}: field `{f}` kept in {fields:?}"
                );
            }
        }
        // A root that is no supervisor keeps its children's fields too.
        let src = "App: gadget { db: worker(run), api: one_for_one { w: worker(run) } }";
        let out = crate::tree(src.parse().expect("lexes")).to_string();
        let file = syn::parse_file(&out).expect("the expansion parses");
        assert_eq!(shape(&file, "Root").0, ["db", "api"]);
        assert_eq!(shape(&file, "Api").0, ["w"]);
    }
}
