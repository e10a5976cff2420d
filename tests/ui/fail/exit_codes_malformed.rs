use supervisor::supervision_tree;

supervision_tree! {
    App: one_for_one {
        tool: process("tool-server") [exit_codes = [78 => fatal, 75 => retry]],
    }
}

fn main() {}
