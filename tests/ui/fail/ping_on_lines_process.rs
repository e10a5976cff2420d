use supervisor::supervision_tree;

supervision_tree! {
    App: one_for_one {
        tools: process("tool-server") [health = ping(interval = 10s)],
    }
}

fn main() {}
