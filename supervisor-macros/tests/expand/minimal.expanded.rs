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
            .child(
                ::supervisor::__private::worker_fn::<
                    ::supervisor::NoMailbox,
                    _,
                    _,
                    _,
                >("only", run),
            )
    }
    ///Starts the tree and returns once every child is up, with a [`minimal::Handle`] whose fields mirror the tree.
    pub async fn start() -> ::core::result::Result<
        minimal::Handle,
        ::supervisor::StartError,
    > {
        Self::start_observed(&::supervisor::Observer::new()).await
    }
    ///Starts the tree as [`Minimal::start`] does, with the observer's streams receiving every event from the first start on, a failed start included.
    pub async fn start_observed(
        observer: &::supervisor::Observer,
    ) -> ::core::result::Result<minimal::Handle, ::supervisor::StartError> {
        let handle = ::supervisor::Supervisor::start_observed(Self::spec(), observer)
            .await?;
        let root = minimal::Root::__bind(handle.root().clone());
        ::core::result::Result::Ok(::supervisor::TreeHandle::__new(handle, root))
    }
    ///Runs [`Minimal`] as the process's main work: starts it, stops it in order on SIGINT or SIGTERM (a second signal aborts what is left), and ends with an `Exit` that `main` returns as its exit code (0, 70 when the root gave up, 78 for a fatal exit).
    pub async fn run() -> ::supervisor::Exit {
        ::supervisor::Supervisor::run(Self::spec()).await
    }
}
///The typed handles of a running [`Minimal`](super::Minimal): [`Handle`], what `Minimal::start` returns, reaches the root's children as fields of [`Root`], and each nested supervisor has a struct of its own.
mod minimal {
    #[allow(unused_imports)]
    use super::*;
    ///A running [`Minimal`](super::Minimal): one field per child of its root (through [`Root`]), and the tree's handle.
    #[allow(dead_code)]
    pub type Handle = ::supervisor::TreeHandle<Root>;
    ///The root of a running [`Minimal`](super::Minimal): one field per child, and its [`SupervisorRef`](::supervisor::SupervisorRef) by deref.
    #[derive(::core::clone::Clone)]
    #[allow(dead_code)]
    pub struct Root {
        _supervisor: ::supervisor::SupervisorRef,
        ///`minimal/only`.
        pub only: ::supervisor::ChildRef<::supervisor::NoMailbox>,
    }
    impl ::core::fmt::Debug for Root {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.debug_struct("minimal::Root")
                .field("supervisor", &self._supervisor)
                .finish_non_exhaustive()
        }
    }
    impl Root {
        #[doc(hidden)]
        pub(super) fn __bind(supervisor: ::supervisor::SupervisorRef) -> Self {
            Self {
                only: ::supervisor::__private::bind::child(&supervisor, 0),
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
