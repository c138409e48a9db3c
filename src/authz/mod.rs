//! Access decisions: the caller's scope and its compilation into SQL predicates.

pub mod applications;
pub mod callers;
pub mod certificate;
pub mod cms;
pub mod explain;
pub mod gost;
pub mod in_force;
pub mod ocsp;
pub mod policy;
pub mod principal;
pub mod revocation;
pub mod revoked_tokens;
pub mod scope;
pub mod signature;
pub mod token;

pub use scope::{Reach, Scope};
