//! privctl: privacy operations for multi-tenant SaaS databases.
//!
//! The library behind the `privctl` binary: the data map ([`map`]), both databases ([`db`]),
//! subject selections ([`selection`]), plans and erasure ([`plan`], [`erase`]), two-step
//! tokens ([`confirm`]), the audit ledger ([`ledger`]) and bundles ([`bundle`]).

pub mod batch;
pub mod blobs;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod confirm;
pub mod db;
pub mod effects;
pub mod erase;
pub mod error;
pub mod fault;
pub mod graph;
pub mod jobs;
pub mod ledger;
pub mod map;
pub mod metrics;
pub mod model;
pub mod phone;
pub mod plan;
pub mod purge;
pub mod report;
pub mod retention;
pub mod scan;
pub mod scrub;
pub mod selection;
pub mod session;
pub mod twostep;
pub mod ui;
