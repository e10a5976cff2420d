/// A pool of connections, each started with its socket address.
pub struct Pool;
impl Pool {
    ///The shape of [`Pool`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Pool",
        root: ::supervisor::NodeDescription::dynamic(
                "pool",
                &[
                    ::supervisor::NodeDescription::worker("<template>")
                        .mailbox("conn::Command")
                        .restart(::supervisor::Restart::Transient)
                        .shutdown(
                            ::supervisor::Shutdown::Timeout(
                                ::supervisor::__private::Duration::from_millis(250),
                            ),
                        ),
                ],
            )
            .intensity(20, ::supervisor::__private::Duration::from_secs(10))
            .max_children(64),
        breakers: &[],
    };
    ///Builds the spec of [`Pool`]: what [`Pool::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    pub fn spec(timeout: Duration) -> ::supervisor::DynamicSupervisorSpec {
        ::supervisor::SupervisorSpec::dynamic(
                "pool",
                ::supervisor::__private::template::<
                    SocketAddr,
                    conn::Command,
                    _,
                    _,
                >({
                        let timeout = ::supervisor::__private::TreeParam::clone_param(
                            &timeout,
                        );
                        move |ctx, addr| {
                            let timeout = ::supervisor::__private::TreeParam::clone_param(
                                &timeout,
                            );
                            conn::serve(ctx, addr, timeout)
                        }
                    })
                    .restart(::supervisor::Restart::Transient)
                    .shutdown(
                        ::supervisor::Shutdown::Timeout(
                            ::supervisor::__private::Duration::from_millis(250),
                        ),
                    ),
            )
            .intensity(20, ::supervisor::__private::Duration::from_secs(10))
            .max_children(64)
    }
    ///Starts the tree and returns once every child is up, with a [`pool::Handle`] whose fields mirror the tree.
    pub async fn start(
        timeout: Duration,
    ) -> ::core::result::Result<pool::Handle, ::supervisor::StartError> {
        Self::start_observed(timeout, &::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Pool::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        timeout: Duration,
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<pool::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(
                Self::spec(timeout),
                observer,
            )
            .await?;
        let root = pool::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Pool`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run(timeout: Duration) -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec(timeout)).await
    }
}
///The typed handles of a running [`Pool`](super::Pool): [`Handle`], what `Pool::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
pub mod pool {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Pool`](super::Pool): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///The root of a running [`Pool`](super::Pool): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("pool::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self { _supervisor: supervisor }
        }
        /// Starts a child from the root's template.
        pub async fn start_child(
            &self,
            args: SocketAddr,
        ) -> ::core::result::Result<
            ::supervisor::ChildRef<conn::Command>,
            ::supervisor::ManagementError,
        > {
            ::supervisor::__private::bind::this_dynamic::<
                SocketAddr,
                conn::Command,
            >(&self._supervisor)
                .start_child(args)
                .await
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
