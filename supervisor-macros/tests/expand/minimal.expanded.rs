#[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
struct Minimal;
impl Minimal {
    ///The shape of [`Minimal`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = {
        const ONLY: ::supervisor::NodeDescription = ::supervisor::NodeDescription::worker(
            "only",
        );
        ::supervisor::TreeDescription {
            name: "Minimal",
            root: ::supervisor::NodeDescription::supervisor(
                "minimal",
                ::supervisor::Strategy::OneForOne,
                &[ONLY],
            ),
        }
    };
    ///Builds the spec of [`Minimal`]: what [`Minimal::start`] starts. Tree parameters are cloned for every incarnation that uses them.
    #[allow(clippy::redundant_closure_call)]
    pub fn spec() -> ::supervisor::SupervisorSpec {
        ::supervisor::SupervisorSpec::new("minimal")
            .child(::supervisor::ChildSpec::worker("only", run))
    }
    ///Starts the tree and returns once every child is up, with a [`MinimalHandle`] whose methods mirror the tree.
    pub async fn start() -> ::core::result::Result<
        MinimalHandle,
        ::supervisor::StartError,
    > {
        let handle = ::supervisor::Supervisor::start(Self::spec()).await?;
        ::core::result::Result::Ok(MinimalHandle::bind(handle)?)
    }
}
///A running [`Minimal`]: one method per child, and the tree's [`SupervisorHandle`](::supervisor::SupervisorHandle) by deref.
#[must_use = "dropping the handle shuts the tree down"]
struct MinimalHandle {
    handle: ::supervisor::SupervisorHandle,
    only: ::supervisor::ChildRef<::supervisor::NoMailbox>,
}
impl MinimalHandle {
    ///`minimal/only`.
    pub fn only(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.only
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
impl ::core::ops::Deref for MinimalHandle {
    type Target = ::supervisor::SupervisorHandle;
    fn deref(&self) -> &::supervisor::SupervisorHandle {
        &self.handle
    }
}
impl ::core::fmt::Debug for MinimalHandle {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        ::core::fmt::Debug::fmt(&self.handle, f)
    }
}
const _: () = {
    impl MinimalHandle {
        fn bind(
            handle: ::supervisor::SupervisorHandle,
        ) -> ::core::result::Result<Self, ::supervisor::LookupError> {
            let supervisor = handle.root().clone();
            let only = supervisor.child::<::supervisor::NoMailbox>("only")?;
            let _ = &supervisor;
            ::core::result::Result::Ok(Self { handle, only })
        }
    }
};
