use supervisor::supervision_tree;

supervision_tree! {
    App: one_for_one {
        tool: process("tool-server") [ready = soon],
    }
}

fn main() {}
