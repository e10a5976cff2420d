/// Every child option and supervisor option, and a worker written as a type.
pub(crate) struct Pipeline;
impl Pipeline {
    ///The shape of [`Pipeline`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Pipeline",
        root: ::supervisor::NodeDescription::supervisor(
                "pipeline",
                ::supervisor::Strategy::RestForOne,
                &[
                    ::supervisor::NodeDescription::worker("reader")
                        .shutdown(::supervisor::Shutdown::BrutalKill)
                        .backoff(
                            ::supervisor::Backoff::linear(
                                    ::supervisor::__private::Duration::from_millis(100),
                                    ::supervisor::__private::Duration::from_millis(250),
                                    ::supervisor::__private::Duration::from_secs(2),
                                )
                                .reset_after(
                                    ::supervisor::__private::Duration::from_secs(30),
                                ),
                        ),
                    ::supervisor::NodeDescription::supervisor(
                            "stages",
                            ::supervisor::Strategy::OneForAll,
                            &[
                                ::supervisor::NodeDescription::worker("parse")
                                    .backoff(
                                        ::supervisor::Backoff::fixed(
                                            ::supervisor::__private::Duration::from_millis(500),
                                        ),
                                    ),
                                ::supervisor::NodeDescription::worker("enrich")
                                    .backoff(
                                        ::supervisor::Backoff::exponential(
                                                ::supervisor::__private::Duration::from_millis(10),
                                                ::supervisor::__private::Duration::from_secs(1),
                                            )
                                            .multiplier(1.5f64)
                                            .jitter(0.2f64),
                                    ),
                            ],
                        )
                        .intensity(3, ::supervisor::__private::Duration::from_secs(2))
                        .restart(::supervisor::Restart::Transient)
                        .shutdown(::supervisor::Shutdown::Infinity),
                    ::supervisor::NodeDescription::supervisor(
                            "batch",
                            ::supervisor::Strategy::OneForOne,
                            &[
                                ::supervisor::NodeDescription::worker("job")
                                    .restart(::supervisor::Restart::Transient)
                                    .significant(true),
                                ::supervisor::NodeDescription::worker("log")
                                    .mailbox("Vec<u8>"),
                            ],
                        )
                        .auto_shutdown(::supervisor::AutoShutdown::AnySignificant)
                        .restart(::supervisor::Restart::Temporary),
                ],
            )
            .intensity(10, ::supervisor::__private::Duration::from_secs(60)),
        breakers: &[],
    };
    ///Builds the spec of [`Pipeline`]: what [`Pipeline::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(source: String, limit: usize) -> ::supervisor::SupervisorSpec {
        let stages = ::supervisor::SupervisorSpec::new("stages")
            .strategy(::supervisor::Strategy::OneForAll)
            .intensity(3, ::supervisor::__private::Duration::from_secs(2))
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("parse", stage::parse)
                    .backoff(
                        ::supervisor::Backoff::fixed(
                            ::supervisor::__private::Duration::from_millis(500),
                        ),
                    ),
            )
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("enrich", stage::enrich)
                    .backoff(
                        ::supervisor::Backoff::exponential(
                                ::supervisor::__private::Duration::from_millis(10),
                                ::supervisor::__private::Duration::from_secs(1),
                            )
                            .multiplier(1.5f64)
                            .jitter(0.2f64),
                    ),
            );
        let batch = ::supervisor::SupervisorSpec::new("batch")
            .auto_shutdown(::supervisor::AutoShutdown::AnySignificant)
            .child(
                ::supervisor::ChildSpec::worker(
                        "job",
                        {
                            let limit = ::supervisor::__private::TreeParam::clone_param(
                                &limit,
                            );
                            move |ctx| {
                                let limit = ::supervisor::__private::TreeParam::clone_param(
                                    &limit,
                                );
                                stage::job(ctx, limit)
                            }
                        },
                    )
                    .restart(::supervisor::Restart::Transient)
                    .significant(true),
            )
            .child(
                ::supervisor::__private::worker_fn::<Vec<u8>, _, _, _>("log", stage::log)
                    .mailbox_capacity(16),
            );
        ::supervisor::SupervisorSpec::new("pipeline")
            .strategy(::supervisor::Strategy::RestForOne)
            .intensity(10, ::supervisor::__private::Duration::from_secs(60))
            .child(
                ::supervisor::__private::from_worker::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                >(
                        "reader",
                        {
                            let source = ::supervisor::__private::TreeParam::clone_param(
                                &source,
                            );
                            let limit = ::supervisor::__private::TreeParam::clone_param(
                                &limit,
                            );
                            move || {
                                let source = ::supervisor::__private::TreeParam::clone_param(
                                    &source,
                                );
                                let limit = ::supervisor::__private::TreeParam::clone_param(
                                    &limit,
                                );
                                Reader::new(source, limit)
                            }
                        },
                    )
                    .shutdown(::supervisor::Shutdown::BrutalKill)
                    .backoff(
                        ::supervisor::Backoff::linear(
                                ::supervisor::__private::Duration::from_millis(100),
                                ::supervisor::__private::Duration::from_millis(250),
                                ::supervisor::__private::Duration::from_secs(2),
                            )
                            .reset_after(
                                ::supervisor::__private::Duration::from_secs(30),
                            ),
                    ),
            )
            .child(
                ::supervisor::ChildSpec::supervisor(stages)
                    .restart(::supervisor::Restart::Transient)
                    .shutdown(::supervisor::Shutdown::Infinity),
            )
            .child(
                ::supervisor::ChildSpec::supervisor(batch)
                    .restart(::supervisor::Restart::Temporary),
            )
    }
    ///Starts the tree and returns once every child is up, with a [`pipeline::Handle`] whose fields mirror the tree.
    pub async fn start(
        source: String,
        limit: usize,
    ) -> ::core::result::Result<pipeline::Handle, ::supervisor::StartError> {
        Self::start_observed(source, limit, &::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Pipeline::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        source: String,
        limit: usize,
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<pipeline::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(
                Self::spec(source, limit),
                observer,
            )
            .await?;
        let root = pipeline::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Pipeline`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run(source: String, limit: usize) -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec(source, limit)).await
    }
}
///The typed handles of a running [`Pipeline`](super::Pipeline): [`Handle`], what `Pipeline::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
pub(crate) mod pipeline {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Pipeline`](super::Pipeline): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///Supervisor `pipeline/stages` of a running [`Pipeline`](super::Pipeline): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Stages {
        _supervisor: ::supervisor::SupervisorRef,
        ///`pipeline/stages/parse`.
        pub parse: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`pipeline/stages/enrich`.
        pub enrich: ::supervisor::ChildRef<::supervisor::NoMailbox>,
    }
    impl ::core::fmt::Debug for Stages {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("pipeline::Stages")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Stages {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                parse: ::supervisor::__private::bind::child(&supervisor, 0),
                enrich: ::supervisor::__private::bind::child(&supervisor, 1),
                _supervisor: supervisor,
            }
        }
        /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
        /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
        pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    impl ::core::ops::Deref for Stages {
        type Target = ::supervisor::SupervisorRef;
        fn deref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    ///Supervisor `pipeline/batch` of a running [`Pipeline`](super::Pipeline): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Batch {
        _supervisor: ::supervisor::SupervisorRef,
        ///`pipeline/batch/job`.
        pub job: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`pipeline/batch/log`.
        pub log: ::supervisor::ChildRef<Vec<u8>>,
    }
    impl ::core::fmt::Debug for Batch {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("pipeline::Batch")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Batch {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                job: ::supervisor::__private::bind::child(&supervisor, 0),
                log: ::supervisor::__private::bind::child(&supervisor, 1),
                _supervisor: supervisor,
            }
        }
        /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
        /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
        pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    impl ::core::ops::Deref for Batch {
        type Target = ::supervisor::SupervisorRef;
        fn deref(&self) -> &::supervisor::SupervisorRef {
            &self._supervisor
        }
    }
    ///The root of a running [`Pipeline`](super::Pipeline): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        ///`pipeline/reader`.
        pub reader: ::supervisor::ChildRef<::supervisor::NoMailbox>,
        ///`pipeline/stages`.
        pub stages: Stages,
        ///`pipeline/batch`.
        pub batch: Batch,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("pipeline::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                reader: ::supervisor::__private::bind::child(&supervisor, 0),
                stages: Stages::__bind(
                    ::supervisor::__private::bind::supervisor(&supervisor, 1),
                ),
                batch: Batch::__bind(
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
