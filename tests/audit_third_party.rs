//! A third party's own verifier (tests/verifier, Python) agrees with `privctl audit-verify`.
