struct Minimal;
impl Minimal {
    ///The shape of [`Minimal`], without starting anything.
    pub const TREE: ::supervisor::TreeDescription = ::supervisor::TreeDescription {
        name: "Minimal",
        root: ::supervisor::NodeDescription::supervisor(
            "minimal",
            ::supervisor::Strategy::OneForOne,
            &[::supervisor::NodeDescription::worker("only")],
        ),
        breakers: &[],
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
        Self::start_observed(&::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Minimal::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<MinimalHandle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(Self::spec(), observer)
            .await?;
        let root = MinimalRoot::bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Minimal`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run() -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec()).await
    }
}
///A running [`Minimal`]: one field per child of its root (through [`MinimalRoot`]), and the tree's handle.
#[allow(dead_code)]
type MinimalHandle = ::supervisor::TreeHandle<MinimalRoot>;
///The root of a running [`Minimal`]: one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
#[derive(::core::clone::Clone)]
#[allow(dead_code)]
struct MinimalRoot {
    _supervisor: ::supervisor::SupervisorRef,
    ///`minimal/only`.
    pub only: ::supervisor::ChildRef<::supervisor::NoMailbox>,
}
impl ::core::fmt::Debug for MinimalRoot {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_struct("MinimalRoot")
            .field("supervisor", &self._supervisor)
            .finish_non_exhaustive()
    }
}
impl MinimalRoot {
    /// This supervisor (also reached by deref, which keeps `supervisor(path)` and
    /// every other method of [`SupervisorRef`](::supervisor::SupervisorRef) in view).
    pub fn supervisor_ref(&self) -> &::supervisor::SupervisorRef {
        &self._supervisor
    }
}
impl ::core::ops::Deref for MinimalRoot {
    type Target = ::supervisor::SupervisorRef;
    fn deref(&self) -> &::supervisor::SupervisorRef {
        &self._supervisor
    }
}
const _: () = {
    impl MinimalRoot {
        fn bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                only: ::supervisor::__private::bind::child(&supervisor, 0),
                _supervisor: supervisor,
            }
        }
    }
};
