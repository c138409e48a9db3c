//! Access decisions: who calls, what they may read and do (one [`Permissions`] value per
//! request), and the compilation of those rules into SQL predicates.

pub mod applications;
pub mod callers;
pub mod certificate;
pub mod cms;
pub mod explain;
pub mod gost;
pub mod in_force;
pub mod ocsp;
pub mod permissions;
pub mod policy;
pub mod principal;
pub mod revocation;
pub mod revoked_tokens;
pub mod rows;
pub mod scope;
pub mod signature;
pub mod token;

pub use permissions::{Action, Permissions};
pub use scope::{Reach, Scope};
