// A tree's handles live in a module named after it, so no two trees' generated names meet:
// `App` with a child supervisor `api` gives `app::Api` beside a tree `AppApi`, and trees named
// `AppRoot` and `AppHandle` stand beside `app::Root` and `app::Handle`. Names that snake_case
// alone would merge (`HttpApi`, `HTTPApi`) get modules of their own, a tree named by a keyword
// gets a raw one, and a user type named as a handle (`Api`) is still the user's in a field.
use supervisor::{supervision_tree, ChildContext};

#[derive(Debug)]
pub struct Api(u32);

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

async fn serve(mut ctx: ChildContext<Api>) -> Result<(), String> {
    while let Some(Api(n)) = ctx.recv().await {
        assert!(n > 0);
    }
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        api: one_for_one {
            listener: worker(serve) [mailbox = Api],
        },
    }
}

supervision_tree! {
    AppApi: one_for_one { db: worker(run) }
}

supervision_tree! {
    AppRoot: one_for_one { db: worker(run) }
}

supervision_tree! {
    AppHandle: one_for_one { db: worker(run) }
}

supervision_tree! {
    HttpApi: one_for_one { db: worker(run) }
}

supervision_tree! {
    HTTPApi: one_for_one { db: worker(run) }
}

supervision_tree! {
    Type: one_for_one { db: worker(run) }
}

async fn send(api: &app::Api) {
    api.listener.send(Api(1)).await.unwrap();
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app: app::Handle = App::start().await.unwrap();
        let root: &app::Root = &app;
        send(&root.api).await;
        let other: app_api::Handle = AppApi::start().await.unwrap();
        let roots: (app_root::Handle, app_handle::Handle) =
            (AppRoot::start().await.unwrap(), AppHandle::start().await.unwrap());
        let http: (http_api::Handle, h_t_t_p_api::Handle) =
            (HttpApi::start().await.unwrap(), HTTPApi::start().await.unwrap());
        let keyword: r#type::Handle = Type::start().await.unwrap();
        app.shutdown().await.unwrap();
        other.shutdown().await.unwrap();
        roots.0.shutdown().await.unwrap();
        roots.1.shutdown().await.unwrap();
        http.0.shutdown().await.unwrap();
        http.1.shutdown().await.unwrap();
        keyword.shutdown().await.unwrap();
    });
}
