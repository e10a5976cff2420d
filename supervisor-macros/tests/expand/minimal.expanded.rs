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
        let root = MinimalRoot::bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
}
///A running [`Minimal`]: one method per child of its root (through [`MinimalRoot`]), and the tree's handle.
type MinimalHandle = ::supervisor::TreeHandle<MinimalRoot>;
///The root of a running [`Minimal`]: one method per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone, ::core::fmt::Debug)]
struct MinimalRoot {
    supervisor: ::supervisor::SupervisorRef,
    only: ::supervisor::ChildRef<::supervisor::NoMailbox>,
}
impl MinimalRoot {
    ///`minimal/only`.
    pub fn only(&self) -> &::supervisor::ChildRef<::supervisor::NoMailbox> {
        &self.only
    }
    /// This supervisor.
    pub fn supervisor(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
impl ::core::ops::Deref for MinimalRoot {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self.supervisor
    }
}
const _: () = {
    impl MinimalRoot {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                only: ::supervisor::__private::bind::child(&supervisor, 0),
                supervisor,
            }
        }
    }
};
