/// Agents behind a breaker, judged by a probe and by their heartbeats.
pub struct Fleet;
impl Fleet {
    ///The shape of [`Fleet`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Fleet",
        root: ::supervisor::NodeDescription::supervisor(
            "fleet",
            ::supervisor::Strategy::OneForOne,
            &[
                ::supervisor::NodeDescription::worker("agent")
                    .decider()
                    .probe(::supervisor::__private::Duration::from_secs(10))
                    .heartbeat(::supervisor::__private::Duration::from_secs(1))
                    .depends_on(&["llm"]),
                ::supervisor::NodeDescription::dynamic(
                    "sessions",
                    &[
                        ::supervisor::NodeDescription::worker("<template>")
                            .restart(::supervisor::Restart::Temporary)
                            .depends_on(&["llm", "search"]),
                    ],
                ),
            ],
        ),
        breakers: &["llm", "search"],
    };
    ///Builds the spec of [`Fleet`]: what [`Fleet::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(model: Arc<str>) -> ::supervisor::SupervisorSpec {
        let breaker_llm = ::supervisor::CircuitBreaker::new(
            "llm",
            ::supervisor::BreakerConfig::default()
                .failure_threshold(5)
                .half_open_max_calls(2)
                .reset_timeout(::supervisor::__private::Duration::from_secs(30))
                .jitter(0.2),
        );
        let breaker_search = ::supervisor::CircuitBreaker::new(
            "search",
            ::supervisor::BreakerConfig::default(),
        );
        let sessions = ::supervisor::SupervisorSpec::dynamic(
            "sessions",
            ::supervisor::__private::template_once_fn::<
                String,
                ::supervisor::NoMailbox,
                _,
                _,
                _,
                _,
            >(session::run)
                .restart(::supervisor::Restart::Temporary)
                .depends_on(&breaker_llm)
                .depends_on(&breaker_search),
        );
        ::supervisor::SupervisorSpec::new("fleet")
            .child(
                ::supervisor::ChildSpec::worker(
                        "agent",
                        {
                            let model = ::supervisor::__private::TreeParam::clone_param(
                                &model,
                            );
                            move |ctx| {
                                let model = ::supervisor::__private::TreeParam::clone_param(
                                    &model,
                                );
                                agent::run(ctx, model)
                            }
                        },
                    )
                    .decider(agent::classify)
                    .health(
                        ::supervisor::HealthCheck::new({
                                let model = ::supervisor::__private::TreeParam::clone_param(
                                    &model,
                                );
                                move |p| {
                                    let model = ::supervisor::__private::TreeParam::clone_param(
                                        &model,
                                    );
                                    agent::ping(p, model)
                                }
                            })
                            .interval(::supervisor::__private::Duration::from_secs(10))
                            .timeout(::supervisor::__private::Duration::from_secs(2))
                            .failure_threshold(3),
                    )
                    .heartbeat(
                        ::supervisor::Heartbeat::every(
                                ::supervisor::__private::Duration::from_secs(1),
                            )
                            .threshold(8.5)
                            .acceptable_pause(
                                ::supervisor::__private::Duration::from_secs(2),
                            ),
                    )
                    .depends_on(&breaker_llm),
            )
            .child(::supervisor::ChildSpec::supervisor(sessions))
            .breaker(breaker_llm)
            .breaker(breaker_search)
    }
    ///Starts the tree and returns once every child is up, with a [`fleet::Handle`] whose fields mirror the tree.
    pub async fn start(
        model: Arc<str>,
    ) -> ::core::result::Result<fleet::Handle, ::supervisor::StartError> {
        Self::start_observed(model, &::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Fleet::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        model: Arc<str>,
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<fleet::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(
                Self::spec(model),
                observer,
            )
            .await?;
        let root = fleet::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Fleet`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run(model: Arc<str>) -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec(model)).await
    }
}
///The typed handles of a running [`Fleet`](super::Fleet): [`Handle`], what `Fleet::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
pub mod fleet {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Fleet`](super::Fleet): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///The root of a running [`Fleet`](super::Fleet): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        ///`fleet/agent`.
        pub agent: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`fleet/sessions`.
        pub sessions: ::supervisor::DynamicRef<String, ::supervisor::NoMailbox>,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("fleet::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                agent: ::supervisor::__private::bind::child(&supervisor, 0),
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
    impl ::core::ops::Deref for Root {
        type Target = ::supervisor::SupervisorRef;
        fn deref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
}
