//! Who says what an exit means (S10.2): a child's decider, else the error's own disposition,
//! else restart.

use std::fmt;
use std::sync::Arc;

use crate::exit::{BoxError, Directive, DirectiveSource, ExitReason};

/// An error type's own say in what its exit means (S10.2). The method has a default, so an
/// error type opts in with one line and overrides only what it needs; errors that do not
/// implement it restart as always.
///
/// A child whose error type is [`Directed`] gets the disposition through `?`:
///
/// ```
/// use supervisor::{Directed, Directive, Disposition};
///
/// #[derive(Debug)]
/// enum DbError { Timeout, BadCredentials }
/// # impl std::fmt::Display for DbError {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{self:?}") }
/// # }
/// impl std::error::Error for DbError {}
///
/// impl Disposition for DbError {
///     fn directive(&self) -> Directive {
///         match self {
///             DbError::Timeout => Directive::Restart,
///             // A restart cannot fix the configuration.
///             DbError::BadCredentials => Directive::Fatal,
///         }
///     }
/// }
///
/// async fn connect() -> Result<(), DbError> { Err(DbError::BadCredentials) }
///
/// async fn db(ctx: supervisor::ChildContext) -> Result<(), Directed> {
///     connect().await?; // a `DbError` becomes a `Directed` with its directive
///     ctx.cancelled().await;
///     Ok(())
/// }
/// ```
pub trait Disposition {
    /// The directive an exit with this error calls for.
    fn directive(&self) -> Directive {
        Directive::Restart
    }
}

/// An error with the directive its exit calls for (S10.2): what a child returns to say, for
/// this error, whether a restart can help. Found anywhere in the error's `source()` chain, so
/// it survives being wrapped.
pub struct Directed {
    directive: Directive,
    error: BoxError,
}

impl Directed {
    /// `error`, whose exit calls for `directive`.
    pub fn new(directive: Directive, error: impl Into<BoxError>) -> Self {
        Directed {
            directive,
            error: error.into(),
        }
    }

    /// `error`, after which the child should not be restarted this time.
    pub fn stop(error: impl Into<BoxError>) -> Self {
        Directed::new(Directive::Stop, error)
    }

    /// `error`, after which the supervisor should give up at once.
    pub fn escalate(error: impl Into<BoxError>) -> Self {
        Directed::new(Directive::Escalate, error)
    }

    /// `error`, after which the whole tree should stop.
    pub fn fatal(error: impl Into<BoxError>) -> Self {
        Directed::new(Directive::Fatal, error)
    }

    /// The directive this error calls for.
    pub fn directive(&self) -> Directive {
        self.directive
    }

    /// The error it carries, to be downcast to its own type.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }
}

impl<E: Disposition + std::error::Error + Send + Sync + 'static> From<E> for Directed {
    fn from(error: E) -> Self {
        Directed::new(error.directive(), error)
    }
}

impl fmt::Debug for Directed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directed")
            .field("directive", &self.directive)
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for Directed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Directed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// What a call through a circuit breaker may fail with (S13.5): an error whose disposition
/// the breaker can read, so that a caller's own mistake (`stop`) is not counted against the
/// service. Error types that declare a [`Disposition`] are; so are `String`, `&str`,
/// `std::io::Error`, boxed errors, [`Directed`] and, with the feature `anyhow`,
/// `anyhow::Error` (a `Directed` in their source chain is found).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a call through a breaker: it does not say whether the failure is the service's",
    label = "the error type of this call",
    note = "add `impl supervisor::Disposition for {Self} {{}}` (every error then counts against the service), and override `directive` to return `Directive::Stop` for the caller's own mistakes"
)]
pub trait Failure {
    /// The error's disposition (S10.2), if it says one.
    fn disposition(&self) -> Option<Directive>;
}

impl<E: Disposition> Failure for E {
    fn disposition(&self) -> Option<Directive> {
        Some(self.directive())
    }
}

impl Failure for Directed {
    fn disposition(&self) -> Option<Directive> {
        Some(self.directive)
    }
}

impl Failure for String {
    fn disposition(&self) -> Option<Directive> {
        None
    }
}

impl Failure for &'static str {
    fn disposition(&self) -> Option<Directive> {
        None
    }
}

impl Failure for std::io::Error {
    fn disposition(&self) -> Option<Directive> {
        directed_in(self)
    }
}

impl Failure for Box<dyn std::error::Error + Send + Sync> {
    fn disposition(&self) -> Option<Directive> {
        directed_in(&**self)
    }
}

impl Failure for Box<dyn std::error::Error + Send> {
    fn disposition(&self) -> Option<Directive> {
        directed_in(&**self)
    }
}

impl Failure for Box<dyn std::error::Error> {
    fn disposition(&self) -> Option<Directive> {
        directed_in(&**self)
    }
}

impl Failure for Arc<dyn std::error::Error + Send + Sync> {
    fn disposition(&self) -> Option<Directive> {
        directed_in(&**self)
    }
}

#[cfg(feature = "anyhow")]
impl Failure for anyhow::Error {
    fn disposition(&self) -> Option<Directive> {
        self.chain()
            .find_map(|e| e.downcast_ref::<Directed>())
            .map(|d| d.directive)
    }
}

/// The directive of the first [`Directed`] in `error`'s source chain.
fn directed_in(error: &(dyn std::error::Error + 'static)) -> Option<Directive> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(d) = e.downcast_ref::<Directed>() {
            return Some(d.directive);
        }
        current = e.source();
    }
    None
}

/// A child's decider: a function of the exit reason to a directive (S10.2).
pub(crate) type Decider = Arc<dyn Fn(&ExitReason) -> Directive + Send + Sync>;

/// The directive for one exit (S10.2): a fatal escalation from below stops the tree whatever
/// is said; then the child's decider; then the error's disposition; then `restart`.
pub(crate) fn decide(
    decider: Option<&Decider>,
    reason: &ExitReason,
) -> (Directive, DirectiveSource) {
    if let ExitReason::Escalation(e) = reason {
        if e.is_fatal() {
            return (Directive::Fatal, DirectiveSource::Fatal);
        }
    }
    if let Some(decide) = decider {
        return (decide(reason), DirectiveSource::Decider);
    }
    if let ExitReason::Error(error) = reason {
        if let Some(directive) = directed_in(&**error) {
            return (directive, DirectiveSource::Disposition);
        }
    }
    (Directive::Restart, DirectiveSource::Default)
}
