//! Workflow steps that span several repositories: each runs in the caller's transaction, with
//! the rows its rules depend on locked, so a rule is judged where it takes effect.

pub mod access;
