/// Every child option and supervisor option, and a worker written as a type.
pub(crate) struct Pipeline;
impl Pipeline {
    ///The shape of [`Pipeline`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = {
        const READER: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "reader",
            )
            .shutdown(::supervisor::Shutdown::BrutalKill)
            .backoff(
                ::supervisor::Backoff::linear(
                        ::supervisor::__private::Duration::from_millis(100),
                        ::supervisor::__private::Duration::from_millis(250),
                        ::supervisor::__private::Duration::from_secs(2),
                    )
                    .reset_after(::supervisor::__private::Duration::from_secs(30)),
            );
        const STAGES__PARSE: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "parse",
            )
            .backoff(
                ::supervisor::Backoff::fixed(
                    ::supervisor::__private::Duration::from_millis(500),
                ),
            );
        const STAGES__ENRICH: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "enrich",
            )
            .backoff(
                ::supervisor::Backoff::exponential(
                        ::supervisor::__private::Duration::from_millis(10),
                        ::supervisor::__private::Duration::from_secs(1),
                    )
                    .multiplier(1.5f64)
                    .jitter(0.2f64),
            );
        const STAGES: ::supervisor::NodeDescription = ::supervisor::NodeDescription::supervisor(
                "stages",
                ::supervisor::Strategy::OneForAll,
                &[STAGES__PARSE, STAGES__ENRICH],
            )
            .intensity(3, ::supervisor::__private::Duration::from_secs(2))
            .restart(::supervisor::Restart::Transient)
            .shutdown(::supervisor::Shutdown::Infinity);
        const BATCH__JOB: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "job",
            )
            .restart(::supervisor::Restart::Transient)
            .significant(true);
        const BATCH__LOG: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "log",
            )
            .mailbox("Vec<u8>");
        const BATCH: ::supervisor::NodeDescription = ::supervisor::NodeDescription::supervisor(
                "batch",
                ::supervisor::Strategy::OneForOne,
                &[BATCH__JOB, BATCH__LOG],
            )
            .auto_shutdown(::supervisor::AutoShutdown::AnySignificant)
            .restart(::supervisor::Restart::Temporary);
        ::supervisor::TreeDescription {
            name: "Pipeline",
            root: ::supervisor::NodeDescription::supervisor(
                    "pipeline",
                    ::supervisor::Strategy::RestForOne,
                    &[READER, STAGES, BATCH],
                )
                .intensity(10, ::supervisor::__private::Duration::from_secs(60)),
        }
    };
    ///Builds the spec of [`Pipeline`]: what [`Pipeline::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(source: String, limit: usize) -> ::supervisor::SupervisorSpec {
        let stages = ::supervisor::SupervisorSpec::new("stages")
            .strategy(::supervisor::Strategy::OneForAll)
            .intensity(3, ::supervisor::__private::Duration::from_secs(2))
            .child(
                ::supervisor::ChildSpec::worker("parse", stage::parse)
                    .backoff(
                        ::supervisor::Backoff::fixed(
                            ::supervisor::__private::Duration::from_millis(500),
                        ),
                    ),
            )
            .child(
                ::supervisor::ChildSpec::worker("enrich", stage::enrich)
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
                ::supervisor::ChildSpec::<Vec<u8>>::with_mailbox("log", stage::log)
                    .mailbox_capacity(16),
            );
        ::supervisor::SupervisorSpec::new("pipeline")
            .strategy(::supervisor::Strategy::RestForOne)
            .intensity(10, ::supervisor::__private::Duration::from_secs(60))
            .child(
                ::supervisor::ChildSpec::<
                    ::supervisor::NoMailbox,
                >::from_worker(
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
    ///Starts the tree and returns once every child is up, with a [`PipelineHandle`] whose methods mirror the tree.
    pub async fn start(
        source: String,
        limit: usize,
    ) -> ::core::result::Result<PipelineHandle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start(Self::spec(source, limit)).await?;
        let root = PipelineRoot::bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
}
///A running [`Pipeline`]: one method per child of its root (through [`PipelineRoot`]), and the tree's handle.
pub(crate) type PipelineHandle = ::supervisor::TreeHandle<PipelineRoot>;
///Supervisor `pipeline/stages` of a running [`Pipeline`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone, ::core::fmt::Debug)]
pub(crate) struct PipelineStages {
    supervisor: ::supervisor::SupervisorRef,
    parse: ::supervisor::ChildRef<::supervisor::NoMailbox>,
    enrich: ::supervisor::ChildRef<::supervisor::NoMailbox>,
}
impl PipelineStages {
    ///`pipeline/stages/parse`.
    pub fn parse(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.parse
    }
    ///`pipeline/stages/enrich`.
    pub fn enrich(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.enrich
    }
    /// This supervisor.
    pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
impl ::core::ops::Deref for PipelineStages {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
///Supervisor `pipeline/batch` of a running [`Pipeline`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone, ::core::fmt::Debug)]
pub(crate) struct PipelineBatch {
    supervisor: ::supervisor::SupervisorRef,
    job: ::supervisor::ChildRef<::supervisor::NoMailbox>,
    log: ::supervisor::ChildRef<Vec<u8>>,
}
impl PipelineBatch {
    ///`pipeline/batch/job`.
    pub fn job(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.job
    }
    ///`pipeline/batch/log`.
    pub fn log(&self) -> &::supervisor::ChildRef<Vec<u8>> {
        &self.log
    }
    /// This supervisor.
    pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
impl ::core::ops::Deref for PipelineBatch {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
///The root of a running [`Pipeline`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone, ::core::fmt::Debug)]
pub(crate) struct PipelineRoot {
    supervisor: ::supervisor::SupervisorRef,
    reader: ::supervisor::ChildRef<::supervisor::NoMailbox>,
    stages: PipelineStages,
    batch: PipelineBatch,
}
impl PipelineRoot {
    ///`pipeline/reader`.
    pub fn reader(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.reader
    }
    ///`pipeline/stages`.
    pub fn stages(&self) -> &PipelineStages {
        &self.stages
    }
    ///`pipeline/batch`.
    pub fn batch(&self) -> &PipelineBatch {
        &self.batch
    }
    /// This supervisor.
    pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
impl ::core::ops::Deref for PipelineRoot {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
const _: () = {
    impl PipelineStages {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                parse: ::supervisor::__private::bind::child(&supervisor, 0),
                enrich: ::supervisor::__private::bind::child(&supervisor, 1),
                supervisor,
            }
        }
    }
    impl PipelineBatch {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                job: ::supervisor::__private::bind::child(&supervisor, 0),
                log: ::supervisor::__private::bind::child(&supervisor, 1),
                supervisor,
            }
        }
    }
    impl PipelineRoot {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                reader: ::supervisor::__private::bind::child(&supervisor, 0),
                stages: PipelineStages::bind(
                    ::supervisor::__private::bind::supervisor(&supervisor, 1),
                ),
                batch: PipelineBatch::bind(
                    ::supervisor::__private::bind::supervisor(&supervisor, 2),
                ),
                supervisor,
            }
        }
    }
    const _: () = ::supervisor::__private::assert_message::<Vec<u8>>();
};
