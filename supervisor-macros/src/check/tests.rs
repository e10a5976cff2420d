//! Children may be named after any method the handles have: the pass case that names them all
//! covers every public method of the runtime's handles, read from the runtime's source, so that
//! a method added there later fails this test until the case names it too.

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

/// Every source file of the runtime: the handles' methods live in several modules.
fn runtime_sources() -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs =
        vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../supervisor-runtime/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the runtime's sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(std::fs::read_to_string(&path).expect("a source file"));
            }
        }
    }
    files
}

#[test]
fn ids_may_be_the_name_of_any_method_the_handles_have() {
    let sources = runtime_sources();
    let case = include_str!("../../../tests/ui/pass/ids_named_like_methods.rs");
    let ast = syn::parse_file(case).expect("the case parses");
    let tree = ast
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Macro(m) if m.mac.path.is_ident("supervision_tree") => Some(&m.mac.tokens),
            _ => None,
        })
        .expect("the case declares a tree");
    let tree = syn::parse2::<crate::parse::TreeAst>(tree.clone()).expect("the tree parses");
    let ids: Vec<String> = (tree.root.children.iter())
        .flat_map(|c| &c.nodes)
        .filter_map(|n| n.id.as_ref().map(|i| i.to_string()))
        .collect();
    let mut checked = 0;
    for ty in ["TreeHandle", "SupervisorHandle", "SupervisorRef"] {
        let mut methods: Vec<String> = sources
            .iter()
            .flat_map(|src| public_methods(src, ty))
            .collect();
        methods.sort();
        methods.dedup();
        assert!(methods.len() > 3, "{ty}: {methods:?}");
        // Hidden helpers of the expansion (`__new`) cannot be a child's id.
        for m in methods.into_iter().filter(|m| !m.starts_with("__")) {
            assert!(ids.contains(&m), "`{ty}::{m}` is not named by the case");
            checked += 1;
        }
    }
    // The generated handles' own methods and the traits they implement.
    for m in ["supervisor", "bind", "clone", "clone_from", "fmt", "deref"] {
        assert!(
            ids.contains(&m.to_string()),
            "`{m}` is not named by the case"
        );
    }
    assert!(checked > 15, "{checked}");
}
