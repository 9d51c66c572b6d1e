//! `audit-verify`, `audit head` and `audit log` as operators and auditors use them.
