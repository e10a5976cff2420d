use supervisor::supervision_tree;

supervision_tree! {
    App: one_for_one {
        tools: process("tool-server", "--stdio") [stdio = json_rpc, ready = mcp],
        other: process("sidecar"),
        models: pool(size = 2) {
            process("model-server") [stdio = json_rpc],
        },
    }
}

fn main() {}
