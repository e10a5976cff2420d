//! Supervisor specs: the typed builders of static and dynamic supervisors (S1.1, S5.6).

use std::sync::Arc;
use std::time::Duration;

use super::child::{ChildSpec, Template};
use super::model::{DynamicSpec, DynamicSupervisorSpec, SupervisorKind, SupervisorSpec};
use super::policy::{AutoShutdown, Intensity, Strategy};
use super::validate;
use crate::breaker::CircuitBreaker;
use crate::error::SpecError;

impl SupervisorSpec {
    /// A supervisor with the defaults of S1.3: one_for_one, 3 restarts within 5 s,
    /// auto_shutdown never, and no children yet.
    pub fn new(id: impl Into<Arc<str>>) -> Self {
        SupervisorSpec::with_kind(
            id.into(),
            SupervisorKind::Static {
                strategy: Strategy::default(),
            },
        )
    }

    /// A supervisor of `kind` with the defaults of S1.3 and no children.
    pub(crate) fn with_kind(id: Arc<str>, kind: SupervisorKind) -> Self {
        SupervisorSpec {
            id,
            intensity: Intensity::default(),
            auto_shutdown: AutoShutdown::default(),
            children: Vec::new(),
            kind,
            breakers: Vec::new(),
            storm_limit: None,
        }
    }

    /// Caps the restarts of the whole tree (S18.2): more than `max_restarts` restarts decided
    /// within `within`, anywhere below, and the tree stops in order and ends with
    /// [`TreeError::Storm`](crate::TreeError::Storm) (exit code 70), however each supervisor
    /// keeps within its own intensity. On the root only.
    pub fn storm_limit(mut self, max_restarts: u32, within: Duration) -> Self {
        self.storm_limit = Some(Intensity {
            max_restarts,
            period: within,
        });
        self
    }

    /// Declares a circuit breaker with this supervisor (S13.1): its descendants reach it with
    /// [`ChildContext::breaker`](crate::ChildContext::breaker), and, on the root, the tree's
    /// handle with [`SupervisorHandle::breaker`](crate::SupervisorHandle::breaker); its state
    /// changes are events of the tree.
    pub fn breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.breakers.push(breaker);
        self
    }

    /// The breakers declared with this supervisor.
    pub fn breakers(&self) -> &[CircuitBreaker] {
        &self.breakers
    }

    /// A dynamic supervisor (S5.4): no children at start, `start_child(args)` adds children
    /// made from `template`, each restarted one_for_one. A kind of its own (S5.6): it has no
    /// declared children, strategy or auto_shutdown to set.
    pub fn dynamic<A, M>(
        id: impl Into<Arc<str>>,
        template: Template<A, M>,
    ) -> DynamicSupervisorSpec {
        let template = DynamicSpec {
            template: template.inner,
            args: template.args,
            max_children: None,
        };
        DynamicSupervisorSpec {
            inner: SupervisorSpec::with_kind(id.into(), SupervisorKind::Dynamic(template)),
        }
    }

    /// The supervisor's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sets the strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        // Only a static supervisor has this builder; a dynamic one or a pool is its own type.
        if let SupervisorKind::Static { strategy: s } = &mut self.kind {
            *s = strategy;
        }
        self
    }

    /// Sets the restart intensity: more than `max_restarts` within `period` and it gives up.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Sets auto_shutdown (S8).
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Appends a child; children start in the order they are added.
    pub fn child<M>(mut self, child: ChildSpec<M>) -> Self {
        self.children.push(Arc::new(child.inner));
        self
    }

    /// Appends several children.
    pub fn children<M>(mut self, children: impl IntoIterator<Item = ChildSpec<M>>) -> Self {
        self.children
            .extend(children.into_iter().map(|c| Arc::new(c.inner)));
        self
    }

    /// The strategy.
    pub fn get_strategy(&self) -> Strategy {
        self.kind.strategy()
    }

    /// The restart intensity.
    pub fn get_intensity(&self) -> Intensity {
        self.intensity
    }

    /// The auto_shutdown setting.
    pub fn get_auto_shutdown(&self) -> AutoShutdown {
        self.auto_shutdown
    }

    /// Ids of the declared children, in order.
    pub fn child_ids(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|c| &*c.id)
    }

    /// Checks the whole tree against S1.4 and returns the first broken rule, with its path.
    pub fn validate(&self) -> Result<(), SpecError> {
        validate::supervisor(self, &self.id)
    }
}

impl DynamicSupervisorSpec {
    /// The supervisor's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Sets the restart intensity: more than `max_restarts` within `period` and it gives up.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.inner = self.inner.intensity(max_restarts, period);
        self
    }

    /// Declares a circuit breaker with this supervisor; see [`SupervisorSpec::breaker`].
    pub fn breaker(mut self, breaker: CircuitBreaker) -> Self {
        self.inner = self.inner.breaker(breaker);
        self
    }

    /// Bounds the number of children; `start_child` beyond it answers `MaxChildren` (S5.5).
    pub fn max_children(mut self, max: usize) -> Self {
        if let SupervisorKind::Dynamic(d) = &mut self.inner.kind {
            d.max_children = Some(max);
        }
        self
    }

    /// The restart intensity.
    pub fn get_intensity(&self) -> Intensity {
        self.inner.intensity
    }

    /// The bound on the number of children, if any.
    pub fn get_max_children(&self) -> Option<usize> {
        self.inner.kind.template().and_then(|d| d.max_children)
    }

    /// Checks the spec against S1.4 and returns the first broken rule, with its path.
    pub fn validate(&self) -> Result<(), SpecError> {
        self.inner.validate()
    }
}
