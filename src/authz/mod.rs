//! Access decisions: the caller's scope and its compilation into SQL predicates.

pub mod policy;
pub mod scope;

pub use scope::{Reach, Scope};
