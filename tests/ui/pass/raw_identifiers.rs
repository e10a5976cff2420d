// Raw identifiers name children and trees: the id is the bare name, the handle's field keeps the raw
// spelling, so a keyword can be an id (`r#type`, reached as `app.r#type`).
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    r#App: one_for_one {
        r#db: worker(run),
        r#type: worker(run),
        r#api: rest_for_one {
            r#match: worker(run),
        },
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = App::start().await.unwrap();
        assert_eq!(app.db.path(), "app/db");
        assert_eq!(app.r#type.id(), "type");
        assert_eq!(app.api.r#match.path(), "app/api/match");
        assert_eq!(App::TREE.name, "App");
        app.shutdown().await.unwrap();
    });
}
