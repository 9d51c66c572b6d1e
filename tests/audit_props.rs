//! Property tests: any tampering with the ledger is found, with the right kind and seq.
