//! Ledger retention: purged entries leave a signed checkpoint the rest verifies from.
