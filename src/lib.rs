//! audit-hub: the read-only GraphQL data hub through which Kazakhstan's oversight bodies read
//! budget-process data, each within the slice the law gives it.

pub mod authz;
pub mod domain;
pub mod error;
pub mod import;
pub mod seed;
pub mod store;
