//! audit-hub: the read-only GraphQL data hub through which Kazakhstan's oversight bodies read
//! budget-process data, each within the slice the law gives it.

pub mod app;
pub mod audit;
pub mod authz;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod import;
pub mod seed;
pub mod service;
pub mod store;
pub mod telemetry;
