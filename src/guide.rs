//! The guide: concepts, the grammar, the rules, recipes, and tables for those coming from
//! Erlang/OTP, ractor or kameo. Its pages are `docs/guide/*.md` in the repository; their
//! examples are compiled and run as tests.
#![doc = include_str!("../docs/guide/index.md")]

pub mod concepts {
    #![doc = include_str!("../docs/guide/concepts.md")]
}

pub mod grammar {
    #![doc = include_str!("../docs/guide/grammar.md")]
}

pub mod rules {
    //! # The rules
    //!
    #![doc = include_str!("../docs/guide/rules.md")]
    #![doc = include_str!("../SEMANTICS.md")]
}

pub mod recipes {
    #![doc = include_str!("../docs/guide/recipes.md")]
}

/// Needs the feature `testkit`.
#[cfg(feature = "testkit")]
pub mod testing {
    #![doc = include_str!("../docs/guide/testing.md")]
}

/// Needs the feature `process`, on Unix.
#[cfg(all(unix, feature = "process"))]
pub mod processes {
    #![doc = include_str!("../docs/guide/processes.md")]
}

/// Needs the feature `observer`.
#[cfg(feature = "observer")]
pub mod watching {
    #![doc = include_str!("../docs/guide/watching.md")]
}

pub mod coming_from {
    #![doc = include_str!("../docs/guide/coming_from.md")]
}
