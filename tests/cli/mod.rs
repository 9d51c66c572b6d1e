//! One file per command, named like its page in commands/: what that command promises.
//! Promises several commands share live beside this folder (tokens.rs: two-step confirmation;
//! erasure.rs, export_files.rs, unmapped_tables.rs, …), the ledger's in ledger/, each platform's
//! walk in platforms/.

mod completions;
mod decrypt;
pub(crate) mod delete_tenant;
pub(crate) mod dsar;
mod export_tenant;
mod init;
mod map;
pub(crate) mod purge_retention;
