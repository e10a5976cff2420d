use supervisor::supervision_tree;

supervision_tree! {
    App: one_for_one {
        tool: process("tool-server", "--port", "0") [mailbox = u32],
    }
}

fn main() {}
