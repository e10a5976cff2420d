/// Workers behind one address.
pub struct Render;
impl Render {
    ///The shape of [`Render`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Render",
        root: ::supervisor::NodeDescription::supervisor(
            "render",
            ::supervisor::Strategy::OneForOne,
            &[
                ::supervisor::NodeDescription::pool(
                        "thumbnails",
                        8,
                        &[
                            ::supervisor::NodeDescription::worker("<slot>")
                                .mailbox("Job")
                                .state("thumbs::Cache"),
                        ],
                    )
                    .routing(
                        ::supervisor::RouteKind::LeastLoaded,
                        ::supervisor::Overflow::Reject,
                    )
                    .intensity(20, ::supervisor::__private::Duration::from_secs(10)),
                ::supervisor::NodeDescription::pool(
                        "fanout",
                        2,
                        &[
                            ::supervisor::NodeDescription::worker("<slot>")
                                .mailbox("Notice"),
                        ],
                    )
                    .routing(
                        ::supervisor::RouteKind::Broadcast,
                        ::supervisor::Overflow::Wait,
                    ),
                ::supervisor::NodeDescription::pool(
                        "shards",
                        4,
                        &[::supervisor::NodeDescription::worker("<slot>").mailbox("Job")],
                    )
                    .routing(
                        ::supervisor::RouteKind::KeyHash,
                        ::supervisor::Overflow::Wait,
                    ),
            ],
        ),
        breakers: &[],
    };
    ///Builds the spec of [`Render`]: what [`Render::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(quality: u8) -> ::supervisor::SupervisorSpec {
        let thumbnails = ::supervisor::PoolSpec::new(
                "thumbnails",
                8,
                ::supervisor::__private::template::<
                    usize,
                    Job,
                    _,
                    _,
                >({
                        let quality = ::supervisor::__private::TreeParam::clone_param(
                            &quality,
                        );
                        move |ctx, slot| {
                            let quality = ::supervisor::__private::TreeParam::clone_param(
                                &quality,
                            );
                            thumbs::run(ctx, slot, quality)
                        }
                    })
                    .state::<thumbs::Cache>(),
            )
            .least_loaded()
            .overflow(::supervisor::Overflow::Reject)
            .intensity(20, ::supervisor::__private::Duration::from_secs(10));
        let fanout = ::supervisor::__private::broadcast::<
            Notice,
        >(
            ::supervisor::PoolSpec::new(
                "fanout",
                2,
                ::supervisor::__private::template_fn::<
                    usize,
                    Notice,
                    _,
                    _,
                    _,
                    _,
                >(fanout::run),
            ),
        );
        let shards = ::supervisor::PoolSpec::new(
                "shards",
                4,
                ::supervisor::__private::template_fn::<
                    usize,
                    Job,
                    _,
                    _,
                    _,
                    _,
                >(thumbs::shard),
            )
            .key_hash(|job: &Job| job.user);
        ::supervisor::SupervisorSpec::new("render")
            .child(::supervisor::ChildSpec::supervisor(thumbnails))
            .child(::supervisor::ChildSpec::supervisor(fanout))
            .child(::supervisor::ChildSpec::supervisor(shards))
    }
    ///Starts the tree and returns once every child is up, with a [`render::Handle`] whose fields mirror the tree.
    pub async fn start(
        quality: u8,
    ) -> ::core::result::Result<render::Handle, ::supervisor::StartError> {
        Self::start_observed(quality, &::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Render::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        quality: u8,
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<render::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(
                Self::spec(quality),
                observer,
            )
            .await?;
        let root = render::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Render`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run(quality: u8) -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec(quality)).await
    }
}
///The typed handles of a running [`Render`](super::Render): [`Handle`], what `Render::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
pub mod render {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Render`](super::Render): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///The root of a running [`Render`](super::Render): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        ///`render/thumbnails`.
        pub thumbnails: ::supervisor::PoolRef<Job>,
        ///`render/fanout`.
        pub fanout: ::supervisor::PoolRef<Notice>,
        ///`render/shards`.
        pub shards: ::supervisor::PoolRef<Job>,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("render::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                thumbnails: ::supervisor::__private::bind::pool(&supervisor, 0),
                fanout: ::supervisor::__private::bind::pool(&supervisor, 1),
                shards: ::supervisor::__private::bind::pool(&supervisor, 2),
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
