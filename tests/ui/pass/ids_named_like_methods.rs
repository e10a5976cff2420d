// Children named after every method the handles have, and after the private fields of the
// runtime's `TreeHandle`: children are fields, methods are methods, so none hides another.
// A unit test of the macro crate checks that this tree names every public method of the
// runtime's handles, so that a method added later is covered here.
use supervisor::{supervision_tree, ChildContext};

async fn run(ctx: ChildContext) -> Result<(), String> {
    ctx.cancelled().await;
    Ok(())
}

supervision_tree! {
    App: one_for_one {
        // `TreeHandle`, `SupervisorHandle` and their private fields.
        handle: worker(run),
        children: worker(run),
        root: worker(run),
        breaker: worker(run),
        breakers: worker(run),
        run: worker(run),
        health_report: worker(run),
        health_probe: worker(run),
        picture: worker(run),
        picture_with: worker(run),
        subscribe: worker(run),
        join: worker(run),
        shutdown: worker(run),
        shutdown_token: worker(run),
        // `SupervisorRef`.
        path: worker(run),
        id: worker(run),
        which_children: worker(run),
        count_children: worker(run),
        restart_history: worker(run),
        intensity_use: worker(run),
        intensity: worker(run),
        terminate_child: worker(run),
        restart_child: worker(run),
        pause_child: worker(run),
        resume_child: worker(run),
        delete_child: worker(run),
        start_child: worker(run),
        child: worker(run),
        dynamic: worker(run),
        pool: worker(run),
        // Generated, and the traits the handles implement.
        supervisor: worker(run),
        supervisor_ref: worker(run),
        bind: worker(run),
        clone: worker(run),
        clone_from: worker(run),
        fmt: worker(run),
        deref: worker(run),
        api: one_for_one {
            which_children: worker(run),
            supervisor: worker(run),
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
        assert_eq!(app.path.path(), "app/path");
        assert_eq!(app.path(), "app");
        assert_eq!(app.handle.path(), "app/handle");
        assert_eq!(app.children.path(), "app/children");
        assert_eq!(app.supervisor.path(), "app/supervisor");
        assert_eq!(app.supervisor_ref().path(), "app");
        // The generated accessor hides no method of `SupervisorRef`.
        assert_eq!(app.supervisor("api").unwrap().path(), "app/api");
        assert_eq!(app.which_children().await.unwrap().len(), 38);
        assert_eq!(app.api.which_children.path(), "app/api/which_children");
        assert_eq!(app.api.which_children().await.unwrap().len(), 2);
        assert_eq!(app.api.supervisor_ref().path(), "app/api");
        assert_eq!(app.shutdown.path(), "app/shutdown");
        app.shutdown().await.unwrap();
    });
}
