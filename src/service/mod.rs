//! Workflow steps: each takes the caller acting, runs in one transaction with the rows its rules
//! depend on locked, so a rule is judged where it takes effect, and records its audit step.

pub mod access;
pub mod workflow;
