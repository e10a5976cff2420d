/// The service.
pub struct App;
impl App {
    ///The shape of [`App`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "App",
        root: ::supervisor::NodeDescription::supervisor(
                "app",
                ::supervisor::Strategy::OneForOne,
                &[
                    ::supervisor::NodeDescription::worker("db")
                        .shutdown(
                            ::supervisor::Shutdown::Timeout(
                                ::supervisor::__private::Duration::from_secs(10),
                            ),
                        ),
                    ::supervisor::NodeDescription::worker("cache")
                        .restart(::supervisor::Restart::Transient)
                        .backoff(
                            ::supervisor::Backoff::exponential(
                                ::supervisor::__private::Duration::from_millis(100),
                                ::supervisor::__private::Duration::from_secs(10),
                            ),
                        ),
                    ::supervisor::NodeDescription::supervisor(
                            "api",
                            ::supervisor::Strategy::RestForOne,
                            &[
                                ::supervisor::NodeDescription::worker("listener")
                                    .mailbox("ListenerMsg"),
                                ::supervisor::NodeDescription::dynamic(
                                        "sessions",
                                        &[
                                            ::supervisor::NodeDescription::worker("<template>")
                                                .restart(::supervisor::Restart::Temporary),
                                        ],
                                    )
                                    .max_children(10000),
                            ],
                        )
                        .intensity(5, ::supervisor::__private::Duration::from_secs(30)),
                ],
            )
            .intensity(3, ::supervisor::__private::Duration::from_secs(5)),
        breakers: &[],
    };
    ///Builds the spec of [`App`]: what [`App::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(config: Arc<Config>) -> ::supervisor::SupervisorSpec {
        let api__sessions = ::supervisor::SupervisorSpec::dynamic(
                "sessions",
                ::supervisor::__private::template_once_fn::<
                    SessionArgs,
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                    _,
                >(session::run)
                    .restart(::supervisor::Restart::Temporary),
            )
            .max_children(10000);
        let api = ::supervisor::SupervisorSpec::new("api")
            .strategy(::supervisor::Strategy::RestForOne)
            .intensity(5, ::supervisor::__private::Duration::from_secs(30))
            .child(
                ::supervisor::__private::worker_fn::<
                    ListenerMsg,
                    _,
                    _,
                    _,
                >("listener", api::listen),
            )
            .child(::supervisor::ChildSpec::supervisor(api__sessions));
        ::supervisor::SupervisorSpec::new("app")
            .intensity(3, ::supervisor::__private::Duration::from_secs(5))
            .child(
                ::supervisor::ChildSpec::worker(
                        "db",
                        {
                            let config = ::supervisor::__private::TreeParam::clone_param(
                                &config,
                            );
                            move |ctx| {
                                let config = ::supervisor::__private::TreeParam::clone_param(
                                    &config,
                                );
                                db::run(ctx, config)
                            }
                        },
                    )
                    .shutdown(
                        ::supervisor::Shutdown::Timeout(
                            ::supervisor::__private::Duration::from_secs(10),
                        ),
                    ),
            )
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("cache", cache::run)
                    .restart(::supervisor::Restart::Transient)
                    .backoff(
                        ::supervisor::Backoff::exponential(
                            ::supervisor::__private::Duration::from_millis(100),
                            ::supervisor::__private::Duration::from_secs(10),
                        ),
                    ),
            )
            .child(::supervisor::ChildSpec::supervisor(api))
    }
    ///Starts the tree and returns once every child is up, with a [`app::Handle`] whose fields mirror the tree.
    pub async fn start(
        config: Arc<Config>,
    ) -> ::core::result::Result<app::Handle, ::supervisor::StartError> {
        Self::start_observed(config, &::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`App::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        config: Arc<Config>,
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<app::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(
                Self::spec(config),
                observer,
            )
            .await?;
        let root = app::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`App`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run(config: Arc<Config>) -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec(config)).await
    }
}
///The typed handles of a running [`App`](super::App): [`Handle`], what `App::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
pub mod app {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`App`](super::App): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///Supervisor `app/api` of a running [`App`](super::App): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Api {
        _supervisor: ::supervisor::SupervisorRef,
        ///`app/api/listener`.
        pub listener: ::supervisor::ChildRef<ListenerMsg>,
        ///`app/api/sessions`.
        pub sessions: ::supervisor::DynamicRef<SessionArgs, ::supervisor::NoMailbox>,
    }
    impl ::core::fmt::Debug for Api {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("app::Api")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Api {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                listener: ::supervisor::__private::bind::child(&supervisor, 0),
                sessions: ::supervisor::__private::bind::dynamic(&supervisor, 1),
                _supervisor: supervisor,
            }
        }
        /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
        /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
        pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    impl ::core::ops::Deref for Api {
        type Target = ::supervisor::SupervisorRef;
        fn deref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    ///The root of a running [`App`](super::App): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        /// The database connection.
        pub db: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`app/cache`.
        pub cache: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`app/api`.
        pub api: Api,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("app::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                db: ::supervisor::__private::bind::child(&supervisor, 0),
                cache: ::supervisor::__private::bind::child(&supervisor, 1),
                api: Api::__bind(
                    ::supervisor::__private::bind::supervisor(&supervisor, 2),
                ),
                _supervisor: supervisor,
            }
        }
        /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
        /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
        pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    impl ::core::ops::Deref for Root {
        type Target = ::supervisor::SupervisorRef;
        fn deref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
}
