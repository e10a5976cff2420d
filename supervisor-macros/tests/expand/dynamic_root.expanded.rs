/// A pool of connections, each started with its socket address.
#[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
pub struct Pool;
impl Pool {
    ///The shape of [`Pool`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = {
        const TEMPLATE: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "<template>",
            )
            .restart(::supervisor::Restart::Transient)
            .shutdown(
                ::supervisor::Shutdown::Timeout(
                    ::supervisor::__private::Duration::from_millis(250),
                ),
            )
            .mailbox("conn::Command");
        ::supervisor::TreeDescription {
            name: "Pool",
            root: ::supervisor::NodeDescription::dynamic("pool", &[TEMPLATE])
                .intensity(20, ::supervisor::__private::Duration::from_secs(10))
                .max_children(64),
        }
    };
    ///Builds the spec of [`Pool`]: what [`Pool::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    #[allow(clippy::redundant_closure_call)]
    pub fn spec(timeout: Duration) -> ::supervisor::DynamicSupervisorSpec {
        ::supervisor::SupervisorSpec::dynamic(
                "pool",
                ::supervisor::Template::<
                    SocketAddr,
                    conn::Command,
                >::new({
                        let timeout = ::supervisor::__private::TreeParam::clone_param(
                            &timeout,
                        );
                        move |ctx, args| {
                            let timeout = ::supervisor::__private::TreeParam::clone_param(
                                &timeout,
                            );
                            (move |ctx, addr| conn::serve(ctx, addr, timeout))(ctx, args)
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
    ///Starts the tree and returns once every child is up, with a [`PoolHandle`] whose methods mirror the tree.
    pub async fn start(
        timeout: Duration,
    ) -> ::core::result::Result<PoolHandle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start(Self::spec(timeout)).await?;
        ::core::result::Result::Ok(PoolHandle::bind(handle)?)
    }
}
///A running [`Pool`]: one method per child, and the tree's [`SupervisorHandle`](::supervisor::SupervisorHandle) by deref.
#[must_use = "dropping the handle shuts the tree down"]
pub struct PoolHandle {
    handle: ::supervisor::SupervisorHandle,
}
impl PoolHandle {
    /// Starts a child from the root's template.
    pub async fn start_child(
        &self,
        args: SocketAddr,
    ) -> ::core::result::Result<
        ::supervisor::ChildRef<conn::Command>,
        ::supervisor::ManagementError,
    > {
        match self.handle.dynamic::<SocketAddr, conn::Command>("") {
            ::core::result::Result::Ok(d) => d.start_child(args).await,
            ::core::result::Result::Err(_) => {
                ::core::result::Result::Err(
                    ::supervisor::ManagementError::WrongKind(
                        ::supervisor::__private::Arc::from(self.handle.path()),
                    ),
                )
            }
        }
    }
    /// The tree's handle.
    pub fn handle(&self) -> &::supervisor::SupervisorHandle {
        &self.handle
    }
    /// Waits until the tree ends (see [`SupervisorHandle::join`](::supervisor::SupervisorHandle::join)); any number of tasks may.
    pub async fn join(&self) -> ::core::result::Result<(), ::supervisor::TreeError> {
        self.handle.join().await
    }
    /// Stops the tree and waits until every task is gone; again, the same outcome.
    pub async fn shutdown(&self) -> ::core::result::Result<(), ::supervisor::TreeError> {
        self.handle.shutdown().await
    }
}
impl ::core::ops::Deref for PoolHandle {
    type Target = ::supervisor::SupervisorHandle;
    fn deref(&self) -> &::supervisor::SupervisorHandle {
        &self.handle
    }
}
impl ::core::fmt::Debug for PoolHandle {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        ::core::fmt::Debug::fmt(&self.handle, f)
    }
}
const _: () = {
    impl PoolHandle {
        fn bind(
            handle: ::supervisor::SupervisorHandle,
        ) -> ::core::result::Result<Self, ::supervisor::LookupError> {
            let supervisor = handle.root().clone();
            let _ = &supervisor;
            ::core::result::Result::Ok(Self { handle })
        }
    }
    const _: () = ::supervisor::__private::assert_message::<conn::Command>();
};
