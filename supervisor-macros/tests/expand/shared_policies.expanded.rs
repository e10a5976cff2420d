/// Children declared alike share one const of their policies, in the spec and the description,
/// and one local of their probe and heartbeat settings; what is written once stays inline.
struct Crawler;
impl Crawler {
    const __POLICY_0: ::supervisor::ChildPolicy = ::supervisor::ChildPolicy::DEFAULT
        .restart(::supervisor::Restart::Transient)
        .backoff(
            ::supervisor::Backoff::exponential(
                ::supervisor::__private::Duration::from_millis(10),
                ::supervisor::__private::Duration::from_secs(1),
            ),
        );
    ///The shape of [`Crawler`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Crawler",
        root: ::supervisor::NodeDescription::supervisor(
            "crawler",
            ::supervisor::Strategy::OneForOne,
            &[
                ::supervisor::NodeDescription::worker("fetch").policy(Self::__POLICY_0),
                ::supervisor::NodeDescription::worker("parse").policy(Self::__POLICY_0),
                ::supervisor::NodeDescription::worker("store")
                    .shutdown(
                        ::supervisor::Shutdown::Timeout(
                            ::supervisor::__private::Duration::from_secs(30),
                        ),
                    )
                    .probe(::supervisor::__private::Duration::from_secs(10))
                    .heartbeat(::supervisor::__private::Duration::from_secs(1)),
                ::supervisor::NodeDescription::worker("index")
                    .probe(::supervisor::__private::Duration::from_secs(10))
                    .heartbeat(::supervisor::__private::Duration::from_secs(1)),
                ::supervisor::NodeDescription::dynamic(
                    "pages",
                    &[
                        ::supervisor::NodeDescription::worker("<template>")
                            .policy(Self::__POLICY_0),
                    ],
                ),
            ],
        ),
        breakers: &[],
    };
    ///Builds the spec of [`Crawler`]: what [`Crawler::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec() -> ::supervisor::SupervisorSpec {
        let health_0 = ::supervisor::HealthCheck::new(crawl::ping)
            .timeout(::supervisor::__private::Duration::from_secs(1));
        let heartbeat_0 = ::supervisor::Heartbeat::every(
            ::supervisor::__private::Duration::from_secs(1),
        );
        let pages = ::supervisor::SupervisorSpec::dynamic(
            "pages",
            ::supervisor::__private::template_fn::<
                String,
                ::supervisor::NoMailbox,
                _,
                _,
                _,
                _,
            >(crawl::page)
                .policy(Self::__POLICY_0),
        );
        ::supervisor::SupervisorSpec::new("crawler")
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("fetch", crawl::fetch)
                    .policy(Self::__POLICY_0),
            )
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("parse", crawl::parse)
                    .policy(Self::__POLICY_0),
            )
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("store", crawl::store)
                    .shutdown(
                        ::supervisor::Shutdown::Timeout(
                            ::supervisor::__private::Duration::from_secs(30),
                        ),
                    )
                    .health(health_0.clone())
                    .heartbeat(heartbeat_0),
            )
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("index", crawl::index)
                    .health(health_0.clone())
                    .heartbeat(heartbeat_0),
            )
            .child(::supervisor::ChildSpec::supervisor(pages))
    }
    ///Starts the tree and returns once every child is up, with a [`crawler::Handle`] whose fields mirror the tree.
    pub async fn start() -> ::core::result::Result<
        crawler::Handle,
        ::supervisor::StartError,
    > {
        Self::start_observed(&::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Crawler::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<crawler::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(Self::spec(), observer)
            .await?;
        let root = crawler::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Crawler`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run() -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec()).await
    }
}
///The typed handles of a running [`Crawler`](super::Crawler): [`Handle`], what `Crawler::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
mod crawler {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Crawler`](super::Crawler): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///The root of a running [`Crawler`](super::Crawler): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        ///`crawler/fetch`.
        pub fetch: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`crawler/parse`.
        pub parse: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`crawler/store`.
        pub store: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`crawler/index`.
        pub index: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`crawler/pages`.
        pub pages: ::supervisor::DynamicRef<String, ::supervisor::NoMailbox>,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("crawler::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                fetch: ::supervisor::__private::bind::child(&supervisor, 0),
                parse: ::supervisor::__private::bind::child(&supervisor, 1),
                store: ::supervisor::__private::bind::child(&supervisor, 2),
                index: ::supervisor::__private::bind::child(&supervisor, 3),
                pages: ::supervisor::__private::bind::dynamic(&supervisor, 4),
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
