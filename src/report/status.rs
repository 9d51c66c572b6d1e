//! `init` and `status`: privctl's own tables, and what earlier runs left unfinished.

use schemars::JsonSchema;
use serde::Serialize;

/// `init`: privctl's tables are ready.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Initialized {
    /// Always `true`.
    pub initialized: bool,
    /// `postgres` or `sqlite`.
    pub dialect: &'static str,
}

/// `status`: unfinished jobs, objects queued for deletion, run locks.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Status {
    pub jobs: Vec<Job>,
    pub pending_objects: Vec<PendingObjects>,
    pub locks: Vec<Lock>,
}

/// A job `running` (alive, or killed) or `stopped`: the same command resumes it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Job {
    pub id: Option<String>,
    pub action: Option<String>,
    pub tenant: Option<String>,
    pub state: Option<String>,
    pub started_at: Option<String>,
    pub updated_at: Option<String>,
}

/// Objects of one store and tenant queued for deletion and not yet gone.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PendingObjects {
    pub store: Option<String>,
    pub tenant: Option<String>,
    pub objects: u64,
    /// Those whose last deletion failed.
    pub failed: u64,
    /// When the oldest was queued.
    pub oldest: Option<String>,
}

/// A run lock and who holds it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Lock {
    pub name: Option<String>,
    pub holder: Option<String>,
    pub since: Option<String>,
    pub state: &'static str,
}
