/// A pool of connections, each started with its socket address.
pub struct Pool;
impl Pool {
    ///The shape of [`Pool`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = {
        const TEMPLATE: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
                "<template>",
            )
            .mailbox("conn::Command")
            .restart(::supervisor::Restart::Transient)
            .shutdown(
                ::supervisor::Shutdown::Timeout(
                    ::supervisor::__private::Duration::from_millis(250),
                ),
            );
        ::supervisor::TreeDescription {
            name: "Pool",
            root: ::supervisor::NodeDescription::dynamic("pool", &[TEMPLATE])
                .intensity(20, ::supervisor::__private::Duration::from_secs(10))
                .max_children(64),
        }
    };
    ///Builds the spec of [`Pool`]: what [`Pool::start`] starts. Tree parameters are cloned for every incarnation that uses them.
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
    ///Starts the tree and returns once every child is up, with a [`PoolHandle`] whose methods mirror the tree.
    pub async fn start(
        timeout: Duration,
    ) -> ::core::result::Result<PoolHandle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start(Self::spec(timeout)).await?;
        let root = PoolRoot::bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
}
///A running [`Pool`]: one method per child of its root (through [`PoolRoot`]), and the tree's handle.
pub type PoolHandle = ::supervisor::TreeHandle<PoolRoot>;
///The root of a running [`Pool`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone, ::core::fmt::Debug)]
pub struct PoolRoot {
    supervisor: ::supervisor::SupervisorRef,
}
impl PoolRoot {
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
        >(&self.supervisor)
            .start_child(args)
            .await
    }
    /// This supervisor.
    pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
impl ::core::ops::Deref for PoolRoot {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
const _: () = {
    impl PoolRoot {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self { supervisor }
        }
    }
    const _: () = ::supervisor::__private::assert_message::<conn::Command>();
};
