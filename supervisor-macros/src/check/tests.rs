//! The reserved ids are exactly the methods the handles have.

use super::rules::RESERVED_IDS;

/// Public methods of the runtime's `impl` blocks for `type_name` in `src`.
fn public_methods(src: &str, type_name: &str) -> Vec<String> {
    let file = syn::parse_file(src).expect("the runtime's source parses");
    let mut names = Vec::new();
    for item in file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let syn::Type::Path(p) = &*imp.self_ty else {
            continue;
        };
        if p.path.segments.last().is_none_or(|s| s.ident != type_name) {
            continue;
        }
        for it in imp.items {
            if let syn::ImplItem::Fn(f) = it {
                if matches!(f.vis, syn::Visibility::Public(_)) {
                    names.push(f.sig.ident.to_string());
                }
            }
        }
    }
    names
}

// Every public method a generated handle reaches through `Deref` is reserved: a child named
// after one would shadow it. Read from the runtime's source, so that a method added there
// later fails this test until it is reserved here.
#[test]
fn every_method_the_handles_reach_is_reserved() {
    let src = include_str!("../../../supervisor-runtime/src/handle.rs");
    for ty in ["TreeHandle", "SupervisorHandle", "SupervisorRef"] {
        let methods = public_methods(src, ty);
        assert!(methods.len() > 3, "{ty}: {methods:?}");
        // Hidden helpers of the expansion (`__new`) cannot be a child's id.
        for m in methods.into_iter().filter(|m| !m.starts_with("__")) {
            assert!(
                RESERVED_IDS.contains(&m.as_str()),
                "`{ty}::{m}` is not reserved"
            );
        }
    }
}

// The same for the methods the expansion writes on the handle types: every method of a
// generated handle that is not a child's accessor (those are named after its fields).
#[test]
fn every_generated_handle_method_is_reserved() {
    use std::collections::HashMap;
    let snapshots = [
        include_str!("../../tests/expand/readme.expanded.rs"),
        include_str!("../../tests/expand/policies.expanded.rs"),
        include_str!("../../tests/expand/dynamic_root.expanded.rs"),
        include_str!("../../tests/expand/minimal.expanded.rs"),
    ];
    let mut checked = 0;
    for src in snapshots {
        let file = syn::parse_file(src).expect("snapshots parse");
        let mut fields: HashMap<String, Vec<String>> = HashMap::new();
        let mut methods: Vec<(String, String)> = Vec::new();
        let mut visit = |items: &[syn::Item]| {
            for item in items {
                match item {
                    syn::Item::Struct(st) => {
                        let names = st
                            .fields
                            .iter()
                            .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
                            .collect();
                        fields.insert(st.ident.to_string(), names);
                    }
                    syn::Item::Impl(imp) if imp.trait_.is_none() => {
                        let syn::Type::Path(p) = &*imp.self_ty else {
                            continue;
                        };
                        let ty = p.path.segments.last().unwrap().ident.to_string();
                        for it in &imp.items {
                            if let syn::ImplItem::Fn(f) = it {
                                methods.push((ty.clone(), f.sig.ident.to_string()));
                            }
                        }
                    }
                    _ => {}
                }
            }
        };
        visit(&file.items);
        // Helpers sit in `const _: () = { .. };` blocks.
        for item in &file.items {
            if let syn::Item::Const(c) = item {
                if let syn::Expr::Block(b) = &*c.expr {
                    let items: Vec<syn::Item> = b
                        .block
                        .stmts
                        .iter()
                        .filter_map(|s| match s {
                            syn::Stmt::Item(i) => Some(i.clone()),
                            _ => None,
                        })
                        .collect();
                    visit(&items);
                }
            }
        }
        for (ty, m) in methods {
            // Handle types hold the tree's handle or their supervisor's reference.
            let Some(f) = fields.get(&ty) else { continue };
            if !f.iter().any(|n| n == "handle" || n == "supervisor") || f.contains(&m) {
                continue;
            }
            assert!(
                RESERVED_IDS.contains(&m.as_str()),
                "`{ty}::{m}` is not reserved"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 4,
        "the snapshots hold generated handle methods: {checked}"
    );
}
