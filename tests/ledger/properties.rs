//! Property tests: any tampering with the ledger is found, with the right kind and seq; and
//! concurrent appends from several privctl processes never fork the chain.
//!
//! The tampering properties write one ledger of [`ENTRIES`] varied entries per database (one
//! keyed, one without a key), then let proptest generate tamperings. Each case tampers inside a
//! transaction with plain SQL, reads the ledger back (it must be what the case's model says),
//! verifies in the same transaction and rolls back, so every case starts from the intact ledger.
//! Set `PROPTEST_CASES` to run more cases, `PROPTEST_RNG_SEED` to replay a run.

use std::sync::Arc;

use privctl::clock::Timestamp;
use privctl::db::{Db, Param, Tx, TxMode};
use privctl::ledger::verify::Kind;
use privctl::ledger::{Anchor, GENESIS, Ledger, LedgerEntry, LogFilter, NewEntry, Verification};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::support::fixture::{setup, verify_ledger};
use crate::support::{Dialect, RunOutput, TestDb, both_dialects, sha256_hex};

/// The HMAC key of the keyed ledger.
const LEDGER_KEY: &[u8] = b"audit-props-ledger-key-5d20c7";

/// Not [`LEDGER_KEY`].
const OTHER_KEY: &[u8] = b"audit-props-other-key-91b4e0";

/// How many entries the intact ledgers have.
const ENTRIES: i64 = 20;

/// Generated tamperings per dialect (keyed and unkeyed ledgers together).
const CASES: u32 = 256;

/// The time of the first entry.
const FIRST_AT: &str = "2026-11-25T10:00:00Z";

both_dialects! {
    /// Whatever is done to the ledger's rows (a field changed, a hash recomputed without the
    /// key, entries deleted, cut off, duplicated, moved, a chain re-linked), the verifier names
    /// the first entry it touched and the kind of tampering; an anchor catches what nothing else
    /// can; an untouched ledger verifies with its head.
    async fn any_tampering_is_found_at_its_first_entry_with_its_kind(dialect: Dialect) {
        let keyed_db = TestDb::new(dialect).await;
        let unkeyed_db = TestDb::new(dialect).await;
        let ledgers = Arc::new([
            IntactLedger::write(&keyed_db, Some(LEDGER_KEY)).await,
            IntactLedger::write(&unkeyed_db, None).await,
        ]);

        // The runner's closure is synchronous: it runs on a blocking thread and drives each case
        // on the test's runtime, whose own thread keeps polling the database connections.
        let runtime = tokio::runtime::Handle::current();
        let shared = Arc::clone(&ledgers);
        let result = tokio::task::spawn_blocking(move || {
            let mut config = Config {
                failure_persistence: None,
                ..Config::default()
            };
            if std::env::var_os("PROPTEST_CASES").is_none() {
                config.cases = CASES;
            }
            let mut runner = TestRunner::new(config);
            runner.run(&case_strategy(), |case| {
                let ledger = &shared[usize::from(!case.keyed)];
                runtime.block_on(check_case(ledger, &case))
            })
        })
        .await
        .expect("the property runner panicked");
        if let Err(error) = result {
            panic!("{dialect:?}: {error}");
        }

        // Every case rolled back: both ledgers are as written.
        for ledger in ledgers.iter() {
            ledger.assert_intact().await;
        }
        keyed_db.cleanup().await;
        unkeyed_db.cleanup().await;
    }

    /// A keyed ledger checked under another key is altered from its first entry on; checked
    /// without a key it needs the key (said once); an unkeyed ledger checked under a key is
    /// forged from its first entry on.
    async fn a_ledger_checked_under_another_key_fails_at_its_first_entry(dialect: Dialect) {
        let keyed_db = TestDb::new(dialect).await;
        let keyed = IntactLedger::write(&keyed_db, Some(LEDGER_KEY)).await;
        let mut tx = keyed.db.begin(TxMode::Write).await.expect("cannot begin");

        let wrong_key = auditor_with(Some(OTHER_KEY));
        let report = wrong_key.verify(&mut tx, None).await.expect("verify failed to run");
        assert_eq!(report.problems.len(), ENTRIES as usize, "every entry fails: {report:?}");
        assert!(
            report.problems.iter().all(|p| p.kind == Kind::Altered),
            "another key: every entry is altered: {report:?}"
        );
        assert_eq!(first(&report), Some((1, "altered")));

        let no_key = auditor_with(None);
        let report = no_key.verify(&mut tx, None).await.expect("verify failed to run");
        assert_eq!(kinds(&report), [(1, "needs-key")], "needs-key once: {report:?}");
        assert_eq!(report.head, Some(keyed.head()));
        tx.rollback().await.expect("cannot roll back");

        let unkeyed_db = TestDb::new(dialect).await;
        let unkeyed = IntactLedger::write(&unkeyed_db, None).await;
        let mut tx = unkeyed.db.begin(TxMode::Write).await.expect("cannot begin");
        let keyed_auditor = auditor_with(Some(LEDGER_KEY));
        let report = keyed_auditor.verify(&mut tx, None).await.expect("verify failed to run");
        // Plain SHA-256 entries under a key: written before the key was set, or forged.
        assert_eq!(first(&report), Some((1, "forged")), "{report:?}");
        assert_eq!(report.problems.len(), ENTRIES as usize, "{report:?}");
        tx.rollback().await.expect("cannot roll back");

        keyed.assert_intact().await;
        unkeyed.assert_intact().await;
        keyed_db.cleanup().await;
        unkeyed_db.cleanup().await;
    }

    /// A ledger longer than one read (SQLite reads entries in chunks whose canonical bytes the
    /// database writes) verifies whole, and a change deep inside, on either side of a chunk
    /// boundary, is found at its entry.
    async fn a_long_ledger_verifies_across_reads(dialect: Dialect) {
        let test_db = TestDb::new(dialect).await;
        let db = Db::connect(&test_db.url, false)
            .await
            .expect("cannot connect to the test database");
        privctl::commands::init::create_tables(&db).await.expect("cannot create privctl's tables");
        let ledger = Ledger::new(Some(LEDGER_KEY.to_vec()), "ops@example.com".into(), "h".into());
        let mut tx = db.begin(TxMode::Write).await.expect("cannot begin");
        let mut last = None;
        for i in 0..4_500 {
            let entry = NewEntry::new("dsar-preview", "planned", serde_json::json!({"n": i, "note": "é \"q\" \\ \n"}))
                .tenant(Some("acme"));
            last = Some(ledger.append(&mut tx, first_at().plus_seconds(i), entry).await.expect("cannot append"));
        }
        tx.commit().await.expect("cannot commit");
        let last = last.expect("entries were written");
        let verify = |sql: &'static str| {
            let db = &db;
            let ledger = &ledger;
            async move {
                let mut tx = db.begin(TxMode::Write).await.expect("cannot begin");
                if !sql.is_empty() {
                    let mut statement = tx.sql();
                    statement.push(sql);
                    tx.execute(&statement).await.expect("cannot tamper");
                }
                let report = ledger.verify(&mut tx, None).await.expect("cannot verify");
                tx.rollback().await.expect("cannot roll back");
                report
            }
        };
        let intact = verify("").await;
        assert!(intact.ok(), "{:?}", intact.problems);
        assert_eq!(intact.entries, 4_500);
        assert_eq!(intact.head, Some((last.seq, last.hash.clone())));
        for (sql, seq, kind) in [
            ("UPDATE privctl_ledger SET details = '{}' WHERE seq = 2001", 2001, "altered"),
            ("UPDATE privctl_ledger SET actor = 'x' WHERE seq = 2002", 2002, "altered"),
            ("DELETE FROM privctl_ledger WHERE seq = 4100", 4100, "removed"),
            ("UPDATE privctl_ledger SET alg = 'sha256' WHERE seq = 3999", 3999, "altered"),
        ] {
            let report = verify(sql).await;
            let first = report.problems.first().unwrap_or_else(|| panic!("{sql}: not found"));
            assert_eq!((first.seq, first.kind.as_str()), (seq, kind), "{sql}: {:?}", report.problems);
            assert_eq!(report.entries, if kind == "removed" { 4_499 } else { 4_500 }, "{sql}");
        }
        db.close().await;
        test_db.cleanup().await;
    }

    /// Without keys.ledger only the links can be checked ("only the chain links were checked",
    /// says the needs-key problem): every broken link is still reported, after the needs-key.
    async fn without_the_key_every_broken_link_is_found(dialect: Dialect) {
        let db = TestDb::new(dialect).await;
        let keyed = IntactLedger::write(&db, Some(LEDGER_KEY)).await;
        let no_key = auditor_with(None);
        let mut missed = Vec::new();
        for (tamper, broken_link) in link_breaking_tamperings() {
            let tampered = tamper.model(&keyed.entries, &keyed.auditor);
            let mut tx = keyed.db.begin(TxMode::Write).await.expect("cannot begin");
            tamper
                .apply(&mut tx, &keyed.auditor, &tampered)
                .await
                .unwrap_or_else(|error| panic!("{tamper:?}: {error:#}"));
            let report = no_key.verify(&mut tx, None).await.expect("verify failed to run");
            tx.rollback().await.expect("cannot roll back");
            assert_eq!(first(&report), Some((1, "needs-key")), "{tamper:?}: {report:?}");
            if !kinds(&report).contains(&(broken_link, "reordered")) {
                missed.push(format!("{tamper:?}: only {:?}", kinds(&report)));
            }
        }
        assert!(
            missed.is_empty(),
            "broken links not reported without the key (expected `reordered` at the entry \
             whose prev_hash no longer matches):\n{}",
            missed.join("\n")
        );
        keyed.assert_intact().await;
        db.cleanup().await;
    }

    /// Eight privctl processes appending at once, three times over, while two others verify:
    /// every run succeeds, every entry gets its own seq, and the chain verifies.
    async fn concurrent_appends_from_several_processes_never_fork_the_chain(dialect: Dialect) {
        const KEY: &str = "audit-props-concurrency-key-e41a";
        const ROUNDS: usize = 3;
        const PROCESSES: usize = 8;
        /// Tenant and email of subjects in the conversational-ai fixture (none on legal hold).
        const SUBJECTS: [(&str, &str); 4] = [
            ("acme", "jane.doe@example.com"),
            ("acme", "john.roe@example.com"),
            ("globex", "jane.doe@example.com"),
            ("initech", "peter.gibbons@example.com"),
        ];
        let (db, privctl) = setup(dialect, KEY).await;
        let initial = db.query_i64("SELECT count(*) FROM privctl_ledger").await;

        for round in 1..=ROUNDS {
            let (appends, audits): (Vec<RunOutput>, Vec<RunOutput>) =
                std::thread::scope(|scope| {
                    // Previews append in the transaction of their work; exports in one of
                    // their own after reading.
                    let appenders: Vec<_> = (0..PROCESSES)
                        .map(|i| {
                            let (tenant, email) = SUBJECTS[i % SUBJECTS.len()];
                            let subject = ["--tenant", tenant, "--email", email];
                            let run = if i % 2 == 0 {
                                privctl
                                    .clone()
                                    .args(["--format", "json", "dsar", "preview"])
                                    .args(subject)
                            } else {
                                let out = db.dir().join(format!("export-{round}-{i}.json"));
                                privctl
                                    .clone()
                                    .args(["--format", "json", "dsar", "export"])
                                    .args(subject)
                                    .arg("--out")
                                    .arg(out)
                            };
                            scope.spawn(move || run.run())
                        })
                        .collect();
                    // Readers racing the appends: each sees one consistent chain.
                    let audits: Vec<_> = (0..2)
                        .map(|_| {
                            let run = privctl.clone().args(["--format", "json", "audit-verify"]);
                            scope.spawn(move || run.run())
                        })
                        .collect();
                    let join = |handles: Vec<std::thread::ScopedJoinHandle<'_, RunOutput>>| {
                        handles
                            .into_iter()
                            .map(|handle| handle.join().expect("a run panicked"))
                            .collect::<Vec<_>>()
                    };
                    (join(appenders), join(audits))
                });
            for run in appends.iter().chain(&audits) {
                run.success();
            }
            for audit in &audits {
                assert_eq!(audit.json()["ok"], true, "round {round}: {audit}");
            }
        }

        let appended = (ROUNDS * PROCESSES) as i64;
        let count = db.query_i64("SELECT count(*) FROM privctl_ledger").await;
        assert_eq!(count, initial + appended, "one entry per run");
        assert_eq!(
            db.query_strings(
                "SELECT action || ':' || CAST(count(*) AS TEXT) FROM privctl_ledger \
                 WHERE action LIKE 'dsar-%' GROUP BY action ORDER BY action"
            )
            .await,
            [
                format!("dsar-export:{}", appended / 2),
                format!("dsar-preview:{}", appended / 2),
            ]
        );
        let seqs = db
            // Qualified: PostgreSQL would order by the text column named `seq` ("10" before "2").
            .query_strings(
                "SELECT CAST(seq AS TEXT) FROM privctl_ledger ORDER BY privctl_ledger.seq",
            )
            .await;
        let expected: Vec<String> = (1..=count).map(|seq| seq.to_string()).collect();
        assert_eq!(seqs, expected, "seqs are 1..={count} without gaps");
        // A fork is two entries linked to the same predecessor.
        assert_eq!(
            db.query_i64("SELECT count(DISTINCT prev_hash) FROM privctl_ledger").await,
            count,
            "two entries share a prev_hash: the chain forked"
        );
        let report = verify_ledger(&db, KEY).await;
        assert!(report.ok(), "the chain does not verify: {report:?}");
        // One leaf per entry, each node written once: the tree did not fork either.
        assert_eq!(report.tree.as_ref().map(|t| t.size as i64), Some(count), "{report:?}");
        assert_eq!(
            db.query_i64("SELECT count(*) FROM privctl_ledger_tree WHERE level = 0").await,
            count,
            "one leaf per entry"
        );
        assert_eq!(report.entries, count as u64);
        assert_eq!(report.head.as_ref().map(|(seq, _)| *seq), Some(count));
        db.cleanup().await;
    }
}

/// Tamperings that break a link, and the seq of the entry whose prev_hash no longer matches the
/// entry before it: a copy inserted after each entry, each prev_hash changed (but the first's),
/// each hash changed (but the last's).
fn link_breaking_tamperings() -> Vec<(Tamper, i64)> {
    let mut tamperings = Vec::new();
    for seq in 1..=ENTRIES {
        if seq < ENTRIES {
            tamperings.push((Tamper::DuplicateAfter { seq }, seq + 1));
            let edit = Edit::ChangeChar(0);
            let field = Field::Hash;
            tamperings.push((Tamper::Change { seq, field, edit }, seq + 1));
        }
        if seq > 1 {
            let edit = Edit::ChangeChar(0);
            let field = Field::PrevHash;
            tamperings.push((Tamper::Change { seq, field, edit }, seq));
        }
    }
    tamperings
}

/// A case: which ledger, what is done to it, and which anchor the auditor brings.
#[derive(Debug, Clone)]
struct Case {
    /// The keyed ledger (HMAC-SHA-256), or the one without a key (SHA-256).
    keyed: bool,
    tamper: Tamper,
    anchor: AnchorChoice,
}

/// What is done to the intact ledger, with SQL. Seqs are of the intact ledger (1..=ENTRIES).
#[derive(Debug, Clone)]
enum Tamper {
    Nothing,
    /// One field of one entry changed in place.
    Change {
        seq: i64,
        field: Field,
        edit: Edit,
    },
    /// A field changed (or none), and the entry's hash recomputed as plain SHA-256.
    Forge {
        seq: i64,
        change: Option<(Field, Edit)>,
        sha256_alg: bool,
    },
    /// `count` entries from `seq` deleted, never the last one.
    Delete {
        seq: i64,
        count: i64,
    },
    /// The last `count` entries deleted.
    Truncate {
        count: i64,
    },
    /// A copy of an entry inserted as a new last entry.
    DuplicateAtEnd {
        seq: i64,
    },
    /// A copy of an entry inserted after it, later entries renumbered up by one.
    DuplicateAfter {
        seq: i64,
    },
    /// A copy of an entry inserted before entry 1, as entry 0.
    DuplicateBeforeFirst {
        seq: i64,
    },
    /// A new last entry, linked to the head, hashed with plain SHA-256 (as someone without the
    /// key would write it).
    AppendForged {
        sha256_alg: bool,
    },
    /// A new last entry, linked to the head, HMAC'd under another key.
    AppendUnderOtherKey,
    /// Two entries exchange their seq.
    Swap {
        first: i64,
        second: i64,
    },
    /// A field changed and every hash from there on recomputed as plain SHA-256 and re-chained:
    /// what someone without the key can do to make the chain hold.
    Rechain {
        seq: i64,
        field: Field,
        edit: Edit,
        sha256_alg: bool,
    },
    /// The last `count` entries deleted, then `appended` real appends under the ledger's key.
    TruncateThenAppend {
        count: i64,
        appended: i64,
    },
}

/// The anchor given to the verifier.
#[derive(Debug, Clone)]
enum AnchorChoice {
    None,
    /// `audit head` as it was when the ledger was intact at this seq (its hash maybe upper-case).
    Original {
        seq: i64,
        upper_case: bool,
    },
    /// A hash the entry never had.
    WrongHash {
        seq: i64,
        hash: String,
    },
    /// Beyond the intact ledger's head.
    Beyond {
        extra: i64,
    },
}

/// A stored column of an entry (all but `seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    At,
    Actor,
    Host,
    Action,
    Tenant,
    SubjectRef,
    Resource,
    Outcome,
    Details,
    Alg,
    PrevHash,
    Hash,
    Origin,
    Nonce,
}

impl Field {
    const ALL: [Field; 14] = [
        Field::At,
        Field::Actor,
        Field::Host,
        Field::Action,
        Field::Tenant,
        Field::SubjectRef,
        Field::Resource,
        Field::Outcome,
        Field::Details,
        Field::Alg,
        Field::PrevHash,
        Field::Hash,
        Field::Origin,
        Field::Nonce,
    ];

    /// What a forger edits before recomputing hashes (alg, prev_hash and hash follow from it).
    const CONTENT: [Field; 9] = [
        Field::At,
        Field::Actor,
        Field::Host,
        Field::Action,
        Field::Tenant,
        Field::SubjectRef,
        Field::Resource,
        Field::Outcome,
        Field::Details,
    ];

    fn column(self) -> &'static str {
        match self {
            Field::At => "at",
            Field::Actor => "actor",
            Field::Host => "host",
            Field::Action => "action",
            Field::Tenant => "tenant",
            Field::SubjectRef => "subject_ref",
            Field::Resource => "resource",
            Field::Outcome => "outcome",
            Field::Details => "details",
            Field::Alg => "alg",
            Field::PrevHash => "prev_hash",
            Field::Hash => "hash",
            Field::Origin => "origin",
            Field::Nonce => "nonce",
        }
    }

    fn nullable(self) -> bool {
        matches!(
            self,
            Field::Tenant | Field::SubjectRef | Field::Resource | Field::Origin | Field::Nonce
        )
    }

    fn get(self, entry: &LedgerEntry) -> Option<&str> {
        match self {
            Field::At => Some(&entry.at),
            Field::Actor => Some(&entry.actor),
            Field::Host => Some(&entry.host),
            Field::Action => Some(&entry.action),
            Field::Tenant => entry.tenant.as_deref(),
            Field::SubjectRef => entry.subject_ref.as_deref(),
            Field::Resource => entry.resource.as_deref(),
            Field::Outcome => Some(&entry.outcome),
            Field::Details => Some(&entry.details),
            Field::Alg => Some(&entry.alg),
            Field::PrevHash => Some(&entry.prev_hash),
            Field::Hash => Some(&entry.hash),
            Field::Origin => entry.origin.as_deref(),
            Field::Nonce => entry.nonce.as_deref(),
        }
    }

    fn set(self, entry: &mut LedgerEntry, value: Option<String>) {
        let required = || value.clone().expect("a NOT NULL column gets a value");
        match self {
            Field::At => entry.at = required(),
            Field::Actor => entry.actor = required(),
            Field::Host => entry.host = required(),
            Field::Action => entry.action = required(),
            Field::Tenant => entry.tenant = value,
            Field::SubjectRef => entry.subject_ref = value,
            Field::Resource => entry.resource = value,
            Field::Outcome => entry.outcome = required(),
            Field::Details => entry.details = required(),
            Field::Alg => entry.alg = required(),
            Field::PrevHash => entry.prev_hash = required(),
            Field::Hash => entry.hash = required(),
            Field::Origin => entry.origin = value,
            Field::Nonce => entry.nonce = value,
        }
    }

    /// The field after `edit` (NULL only where the column allows it).
    fn edited(self, entry: &LedgerEntry, edit: &Edit) -> Option<String> {
        let value = edit.apply(self.get(entry));
        if value.is_none() && !self.nullable() {
            return Some(String::new());
        }
        value
    }
}

/// How a value is changed: wholesale, or so slightly that only the bytes tell.
#[derive(Debug, Clone)]
enum Edit {
    Replace(String),
    /// NULL; the empty string in a NOT NULL column.
    Null,
    Append(String),
    /// The character at this index (modulo the length) becomes another.
    ChangeChar(usize),
    DropLast,
    /// ASCII letters upper-cased: for a hash, the same digest in the wrong case.
    UpperCase,
    /// `é` as `e` + a combining acute accent: the same text to a reader, other bytes.
    Decompose,
}

impl Edit {
    fn apply(&self, value: Option<&str>) -> Option<String> {
        let text = value.unwrap_or_default();
        match self {
            Edit::Replace(new) => Some(new.clone()),
            Edit::Null => None,
            Edit::Append(tail) => Some(format!("{text}{tail}")),
            Edit::ChangeChar(index) => {
                let mut chars: Vec<char> = text.chars().collect();
                if chars.is_empty() {
                    return Some("a".to_owned());
                }
                let i = index % chars.len();
                chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
                Some(chars.into_iter().collect())
            }
            Edit::DropLast => {
                let mut chars = text.chars();
                chars.next_back();
                Some(chars.as_str().to_owned())
            }
            Edit::UpperCase => value.map(str::to_ascii_uppercase),
            Edit::Decompose => value.map(|text| text.replace('é', "e\u{301}")),
        }
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (any::<bool>(), tamper_strategy(), anchor_strategy()).prop_map(|(keyed, tamper, anchor)| Case {
        keyed,
        tamper,
        anchor,
    })
}

fn tamper_strategy() -> impl Strategy<Value = Tamper> {
    let seq = || 1..=ENTRIES;
    let field = || proptest::sample::select(Field::ALL.to_vec());
    let content = || proptest::sample::select(Field::CONTENT.to_vec());
    prop_oneof![
        1 => Just(Tamper::Nothing),
        6 => (seq(), field(), edit_strategy())
            .prop_map(|(seq, field, edit)| Tamper::Change { seq, field, edit }),
        3 => (seq(), proptest::option::of((content(), edit_strategy())), any::<bool>())
            .prop_map(|(seq, change, sha256_alg)| Tamper::Forge { seq, change, sha256_alg }),
        2 => (1..ENTRIES, 1..ENTRIES).prop_map(|(seq, count)| Tamper::Delete {
            seq,
            count: count.min(ENTRIES - seq),
        }),
        1 => seq().prop_map(|count| Tamper::Truncate { count }),
        1 => seq().prop_map(|seq| Tamper::DuplicateAtEnd { seq }),
        1 => seq().prop_map(|seq| Tamper::DuplicateAfter { seq }),
        1 => seq().prop_map(|seq| Tamper::DuplicateBeforeFirst { seq }),
        1 => any::<bool>().prop_map(|sha256_alg| Tamper::AppendForged { sha256_alg }),
        1 => Just(Tamper::AppendUnderOtherKey),
        2 => (1..ENTRIES)
            .prop_flat_map(|first| (Just(first), first + 1..=ENTRIES))
            .prop_map(|(first, second)| Tamper::Swap { first, second }),
        3 => (seq(), content(), edit_strategy(), any::<bool>()).prop_map(
            |(seq, field, edit, sha256_alg)| Tamper::Rechain { seq, field, edit, sha256_alg }
        ),
        1 => (seq(), 1..=5i64)
            .prop_map(|(count, appended)| Tamper::TruncateThenAppend { count, appended }),
    ]
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => text_strategy().prop_map(Edit::Replace),
        1 => Just(Edit::Null),
        2 => text_strategy().prop_map(Edit::Append),
        4 => any::<usize>().prop_map(Edit::ChangeChar),
        1 => Just(Edit::DropLast),
        1 => Just(Edit::UpperCase),
        1 => Just(Edit::Decompose),
    ]
}

/// Text a tamperer might write: the other alg, a well-formed hash, look-alikes, anything.
fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("sha256".to_owned()),
        Just("hmac-sha256".to_owned()),
        Just(String::new()),
        Just(GENESIS.to_owned()),
        Just(" ".to_owned()),
        Just("\"\\\n".to_owned()),
        "[0-9a-f]{64}",
        "[a-zA-Z0-9 ._@:{}\"-]{1,12}",
        // Anything PostgreSQL stores as text (no NUL).
        "[^\\x00]{1,8}",
    ]
}

fn anchor_strategy() -> impl Strategy<Value = AnchorChoice> {
    prop_oneof![
        3 => Just(AnchorChoice::None),
        3 => (1..=ENTRIES, any::<bool>())
            .prop_map(|(seq, upper_case)| AnchorChoice::Original { seq, upper_case }),
        1 => (1..=ENTRIES, "[0-9a-f]{64}")
            .prop_map(|(seq, hash)| AnchorChoice::WrongHash { seq, hash }),
        1 => (1..=5i64).prop_map(|extra| AnchorChoice::Beyond { extra }),
    ]
}

/// Tampers, reads back, verifies and rolls back; then checks the report against the model.
async fn check_case(intact: &IntactLedger, case: &Case) -> Result<(), TestCaseError> {
    let tampered = case.tamper.model(&intact.entries, &intact.auditor);
    let anchor = case.anchor.anchor(&intact.entries);
    let fail = |error: anyhow::Error| TestCaseError::fail(format!("{error:#}"));

    let mut tx = intact.db.begin(TxMode::Write).await.map_err(fail)?;
    let outcome = async {
        case.tamper
            .apply(&mut tx, &intact.auditor, &tampered)
            .await?;
        let stored = read_ledger(&mut tx).await?;
        let report = intact.auditor.verify(&mut tx, anchor.as_ref()).await?;
        anyhow::Ok((stored, report))
    }
    .await;
    tx.rollback().await.map_err(fail)?;
    let (stored, report) = outcome.map_err(fail)?;
    let tampered = match case.tamper {
        // Real appends draw their nonces: the model takes them, and the hashes follow.
        Tamper::TruncateThenAppend { .. } => adopt_nonces(tampered, &stored, &intact.auditor),
        _ => tampered,
    };

    prop_assert_eq!(
        &stored,
        &tampered,
        "the SQL did not tamper as the model says"
    );
    let expected = expected_first_problem(case, &intact.entries, &tampered, anchor.as_ref());
    let found = report.problems.first().map(|p| (p.seq, p.kind));
    prop_assert_eq!(found, expected, "first problem; the report: {:#?}", report);
    prop_assert_eq!(report.ok(), expected.is_none());
    if let Some((seq, _)) = expected {
        prop_assert!(
            report.problems.iter().all(|p| p.seq >= seq),
            "a problem before the first tampered entry: {:#?}",
            report
        );
        prop_assert!(report.problems.iter().all(|p| !p.detail.is_empty()));
    }
    prop_assert_eq!(report.entries, tampered.len() as u64);
    let head = tampered.last().map(|e| (e.seq, e.hash.clone()));
    prop_assert_eq!(&report.head, &head);
    Ok(())
}

/// The first problem the verifier must name, from what the case did to the ledger.
fn expected_first_problem(
    case: &Case,
    intact: &[LedgerEntry],
    tampered: &[LedgerEntry],
    anchor: Option<&Anchor>,
) -> Option<(i64, Kind)> {
    let last = intact.len() as i64;
    let from_tamper = if tampered == intact {
        // An edit that left the value as it was.
        None
    } else {
        match &case.tamper {
            // The tree's leaves outlast the entries cut off the end; one who also cuts the tree
            // and appends anew (with the key) leaves nothing but an anchor can tell.
            Tamper::Nothing | Tamper::Truncate { .. } | Tamper::TruncateThenAppend { .. } => None,
            Tamper::Change { seq, field, edit } => {
                let alg = field.edited(&intact[index(*seq)], edit);
                if !case.keyed && *field == Field::Alg && alg.as_deref() == Some("hmac-sha256") {
                    // Without a key an HMAC entry cannot be checked, only its links.
                    Some((*seq, Kind::NeedsKey))
                } else {
                    Some((*seq, Kind::Altered))
                }
            }
            Tamper::Forge { seq, .. } if case.keyed => Some((*seq, Kind::Forged)),
            // Without a key a recomputed hash is a valid one: only the next entry's link breaks,
            // and nothing tells whether this entry was rewritten or the next one moved.
            Tamper::Forge { seq, .. } => (*seq < last).then_some((seq + 1, Kind::Reordered)),
            Tamper::Delete { seq, .. } => Some((*seq, Kind::Removed)),
            Tamper::DuplicateAtEnd { .. } => Some((last + 1, Kind::Reordered)),
            Tamper::DuplicateAfter { seq } => Some((seq + 1, Kind::Reordered)),
            Tamper::DuplicateBeforeFirst { .. } => Some((0, Kind::Reordered)),
            Tamper::AppendForged { .. } if case.keyed => Some((last + 1, Kind::Forged)),
            // Without a key, anyone can append a valid entry.
            Tamper::AppendForged { .. } => None,
            Tamper::AppendUnderOtherKey if case.keyed => Some((last + 1, Kind::Altered)),
            Tamper::AppendUnderOtherKey => Some((last + 1, Kind::NeedsKey)),
            Tamper::Swap { first, .. } => Some((*first, Kind::Reordered)),
            Tamper::Rechain { seq, .. } if case.keyed => Some((*seq, Kind::Forged)),
            // Without a key, a re-chained ledger holds by itself: its tree tells (below).
            Tamper::Rechain { .. } => None,
        }
    };
    let from_anchor = anchor.and_then(|anchor| {
        let head = tampered.last().map_or(0, |e| e.seq);
        if anchor.seq > head {
            return Some((head + 1, Kind::Truncated));
        }
        // An anchor at a deleted entry proves nothing about it (the gap is reported).
        let entry = tampered.iter().find(|e| e.seq == anchor.seq)?;
        (entry.hash != anchor.hash).then_some((anchor.seq, Kind::Rewritten))
    });
    // What only the Merkle tree tells (compared only when nothing else was found): it keeps
    // the leaves of entries cut off the end, the leaf of an entry rewritten and re-chained
    // without a key, and no leaf for an entry appended behind privctl's back.
    let from_tree = (tampered != intact)
        .then(|| match &case.tamper {
            Tamper::Truncate { count } => Some((last - count + 1, Kind::Truncated)),
            Tamper::Rechain { seq, .. } if !case.keyed => Some((*seq, Kind::Altered)),
            // The last entry rewritten: no later link breaks, its leaf does.
            Tamper::Forge { seq, .. } if !case.keyed && *seq == last => Some((*seq, Kind::Altered)),
            Tamper::AppendForged { .. } if !case.keyed => Some((last + 1, Kind::Altered)),
            _ => None,
        })
        .flatten();
    // Problems come in seq order; at the same seq the entry's own problem before the anchor's.
    match (from_tamper, from_anchor) {
        (Some(t), Some(a)) if a.0 < t.0 => Some(a),
        (Some(t), _) => Some(t),
        (None, Some(a)) => Some(a),
        (None, None) => from_tree,
    }
}

impl Tamper {
    /// The ledger after the tampering, as it should read back.
    fn model(&self, intact: &[LedgerEntry], auditor: &Ledger) -> Vec<LedgerEntry> {
        let mut entries = intact.to_vec();
        let last = intact.len() as i64;
        match self {
            Tamper::Nothing => {}
            Tamper::Change { seq, field, edit } => {
                let entry = &mut entries[index(*seq)];
                let value = field.edited(entry, edit);
                field.set(entry, value);
            }
            Tamper::Forge {
                seq,
                change,
                sha256_alg,
            } => {
                let entry = &mut entries[index(*seq)];
                if let Some((field, edit)) = change {
                    let value = field.edited(entry, edit);
                    field.set(entry, value);
                }
                forge(entry, *sha256_alg);
            }
            Tamper::Delete { seq, count } => {
                entries.drain(index(*seq)..index(seq + count));
            }
            Tamper::Truncate { count } => entries.truncate((last - count) as usize),
            Tamper::DuplicateAtEnd { seq } => {
                let mut copy = entries[index(*seq)].clone();
                copy.seq = last + 1;
                entries.push(copy);
            }
            Tamper::DuplicateAfter { seq } => {
                for entry in &mut entries[index(seq + 1)..] {
                    entry.seq += 1;
                }
                let mut copy = entries[index(*seq)].clone();
                copy.seq = seq + 1;
                entries.insert(index(seq + 1), copy);
            }
            Tamper::DuplicateBeforeFirst { seq } => {
                let mut copy = entries[index(*seq)].clone();
                copy.seq = 0;
                entries.insert(0, copy);
            }
            Tamper::AppendForged { sha256_alg } => {
                let mut entry = intruders_entry(&entries, auditor.alg());
                forge(&mut entry, *sha256_alg);
                entries.push(entry);
            }
            Tamper::AppendUnderOtherKey => {
                let mut entry = intruders_entry(&entries, "hmac-sha256");
                entry.hash = auditor_with(Some(OTHER_KEY)).digest(&entry.canonical());
                entries.push(entry);
            }
            Tamper::Swap { first, second } => {
                entries.swap(index(*first), index(*second));
                entries[index(*first)].seq = *first;
                entries[index(*second)].seq = *second;
            }
            Tamper::Rechain {
                seq,
                field,
                edit,
                sha256_alg,
            } => {
                let entry = &mut entries[index(*seq)];
                let value = field.edited(entry, edit);
                field.set(entry, value);
                for i in index(*seq)..entries.len() {
                    if i > index(*seq) {
                        entries[i].prev_hash = entries[i - 1].hash.clone();
                    }
                    forge(&mut entries[i], *sha256_alg);
                }
            }
            Tamper::TruncateThenAppend { count, appended } => {
                entries.truncate((last - count) as usize);
                for n in 0..*appended {
                    let (at, new) = later_entry(n);
                    let prev_hash = entries
                        .last()
                        .map_or(GENESIS.to_owned(), |e| e.hash.clone());
                    let mut entry = LedgerEntry {
                        seq: entries.len() as i64 + 1,
                        at: at.to_canonical(),
                        actor: auditor.actor.clone(),
                        host: auditor.host.clone(),
                        action: new.action,
                        tenant: new.tenant,
                        // An unkeyed ledger records no subject_ref.
                        subject_ref: new.subject_ref.filter(|_| auditor.records_subjects()),
                        resource: new.resource,
                        outcome: new.outcome,
                        details: new.details.to_string(),
                        alg: auditor.alg().to_owned(),
                        prev_hash,
                        hash: String::new(),
                        origin: None,
                        nonce: None,
                    };
                    entry.hash = auditor.digest(&entry.canonical());
                    entries.push(entry);
                }
            }
        }
        entries
    }

    /// Does it to the database with SQL, as someone with write access to the table would
    /// (`tampered` is [`Tamper::model`]'s result, for the rows it rewrites whole).
    async fn apply(
        &self,
        tx: &mut Tx,
        auditor: &Ledger,
        tampered: &[LedgerEntry],
    ) -> anyhow::Result<()> {
        match self {
            Tamper::Nothing => {}
            Tamper::Change { seq, field, .. } => {
                let value = field.get(&tampered[index(*seq)]);
                let mut sql = tx.sql();
                sql.push("UPDATE privctl_ledger SET ")
                    .push(field.column())
                    .push(" = ")
                    .bind(value.map_or(Param::Null, |v| Param::Text(v.to_owned())))
                    .push(" WHERE seq = ")
                    .bind(Param::Int(*seq));
                run(tx, &sql, 1).await?;
            }
            Tamper::Forge { seq, .. } => rewrite_row(tx, &tampered[index(*seq)]).await?,
            Tamper::Delete { seq, count } => {
                let mut sql = tx.sql();
                sql.push("DELETE FROM privctl_ledger WHERE seq >= ")
                    .bind(Param::Int(*seq))
                    .push(" AND seq < ")
                    .bind(Param::Int(seq + count));
                run(tx, &sql, *count as u64).await?;
            }
            Tamper::Truncate { count } => truncate(tx, *count).await?,
            Tamper::DuplicateAtEnd { seq } => copy_row(tx, *seq, ENTRIES + 1).await?,
            Tamper::DuplicateAfter { seq } => {
                // PostgreSQL checks the primary key row by row: move the later entries out of
                // the way (negative seqs) before renumbering them.
                let mut away = tx.sql();
                away.push("UPDATE privctl_ledger SET seq = -seq WHERE seq > ")
                    .bind(Param::Int(*seq));
                run(tx, &away, (ENTRIES - seq) as u64).await?;
                let mut back = tx.sql();
                back.push("UPDATE privctl_ledger SET seq = 1 - seq WHERE seq < 0");
                run(tx, &back, (ENTRIES - seq) as u64).await?;
                copy_row(tx, *seq, seq + 1).await?;
            }
            Tamper::DuplicateBeforeFirst { seq } => copy_row(tx, *seq, 0).await?,
            Tamper::AppendForged { .. } | Tamper::AppendUnderOtherKey => {
                insert_row(tx, tampered.last().expect("the appended entry")).await?;
            }
            Tamper::Swap { first, second } => {
                let mut away = tx.sql();
                away.push("UPDATE privctl_ledger SET seq = -seq WHERE seq = ")
                    .bind(Param::Int(*first))
                    .push(" OR seq = ")
                    .bind(Param::Int(*second));
                run(tx, &away, 2).await?;
                for (from, to) in [(first, second), (second, first)] {
                    let mut sql = tx.sql();
                    sql.push("UPDATE privctl_ledger SET seq = ")
                        .bind(Param::Int(*to))
                        .push(" WHERE seq = ")
                        .bind(Param::Int(-from));
                    run(tx, &sql, 1).await?;
                }
            }
            Tamper::Rechain { seq, .. } => {
                for entry in &tampered[index(*seq)..] {
                    rewrite_row(tx, entry).await?;
                }
            }
            Tamper::TruncateThenAppend { count, appended } => {
                truncate(tx, *count).await?;
                // The tree's nodes over the cut entries go too, or privctl would not append.
                let mut cut = tx.sql();
                cut.push("DELETE FROM privctl_ledger_tree WHERE ((idx + 1) << level) > ")
                    .bind(Param::Int(ENTRIES - count));
                tx.execute(&cut).await?;
                for n in 0..*appended {
                    let (at, entry) = later_entry(n);
                    auditor.append(tx, at, entry).await?;
                }
            }
        }
        Ok(())
    }
}

impl AnchorChoice {
    /// The anchor, parsed from `SEQ:HASH` as `audit-verify --anchor` does.
    fn anchor(&self, intact: &[LedgerEntry]) -> Option<Anchor> {
        let text = match self {
            AnchorChoice::None => return None,
            AnchorChoice::Original { seq, upper_case } => {
                let hash = &intact[index(*seq)].hash;
                let hash = if *upper_case {
                    hash.to_ascii_uppercase()
                } else {
                    hash.clone()
                };
                format!("{seq}:{hash}")
            }
            AnchorChoice::WrongHash { seq, hash } => format!("{seq}:{hash}"),
            AnchorChoice::Beyond { extra } => {
                format!("{}:{}", ENTRIES + extra, intact[index(ENTRIES)].hash)
            }
        };
        Some(text.parse().expect("a well-formed anchor"))
    }
}

/// The model's entries with the nonces `stored` has where the model has none, re-hashed and
/// re-linked from the first such entry on.
fn adopt_nonces(
    mut model: Vec<LedgerEntry>,
    stored: &[LedgerEntry],
    auditor: &Ledger,
) -> Vec<LedgerEntry> {
    let mut relink = false;
    for i in 0..model.len() {
        if model[i].nonce.is_none()
            && let Some(real) = stored.get(i).and_then(|e| e.nonce.clone())
        {
            model[i].nonce = Some(real);
            relink = true;
        }
        if relink {
            if i > 0 {
                model[i].prev_hash = model[i - 1].hash.clone();
            }
            model[i].hash = auditor.digest(&model[i].canonical());
        }
    }
    model
}

/// Plain SHA-256 over the entry as it now reads: what someone without the key can compute.
fn forge(entry: &mut LedgerEntry, sha256_alg: bool) {
    if sha256_alg {
        entry.alg = "sha256".to_owned();
    }
    entry.hash = sha256_hex(&entry.canonical());
}

/// An entry linked to the head, as someone with write access to the table would add it
/// (hash left empty).
fn intruders_entry(entries: &[LedgerEntry], alg: &str) -> LedgerEntry {
    let head = entries.last().expect("the ledger has entries");
    LedgerEntry {
        seq: head.seq + 1,
        at: first_at().plus_seconds(86_400).to_canonical(),
        actor: "ops@example.com".to_owned(),
        host: "db-admin-1".to_owned(),
        action: "dsar-delete".to_owned(),
        tenant: Some("acme".to_owned()),
        subject_ref: None,
        resource: None,
        outcome: "done".to_owned(),
        details: r#"{"tables":{}}"#.to_owned(),
        alg: alg.to_owned(),
        prev_hash: head.hash.clone(),
        hash: String::new(),
        origin: None,
        nonce: None,
    }
}

/// What gets appended after a truncation: later than every intact entry.
fn later_entry(n: i64) -> (Timestamp, NewEntry) {
    let at = first_at().plus_seconds(86_400 + n);
    let entry = NewEntry::new("dsar-preview", "planned", json!({"after": n}))
        .tenant(Some("acme"))
        .subject("0f0f");
    (at, entry)
}

/// Runs a statement that must affect exactly `rows` rows.
async fn run(tx: &mut Tx, sql: &privctl::db::Sql, rows: u64) -> anyhow::Result<()> {
    let affected = tx.execute(sql).await?;
    anyhow::ensure!(
        affected == rows,
        "{} affected {affected} rows, not {rows}",
        sql.text()
    );
    Ok(())
}

/// Deletes the last `count` entries of the intact ledger.
async fn truncate(tx: &mut Tx, count: i64) -> anyhow::Result<()> {
    let mut sql = tx.sql();
    sql.push("DELETE FROM privctl_ledger WHERE seq > ")
        .bind(Param::Int(ENTRIES - count));
    run(tx, &sql, count as u64).await
}

/// Inserts a copy of entry `from` (every column as stored) as entry `to`.
async fn copy_row(tx: &mut Tx, from: i64, to: i64) -> anyhow::Result<()> {
    let mut sql = tx.sql();
    sql.push(
        "INSERT INTO privctl_ledger (seq, at, actor, host, action, tenant, subject_ref, resource, \
         outcome, details, alg, prev_hash, hash, origin, nonce) SELECT ",
    )
    .bind(Param::Int(to))
    .push(
        ", at, actor, host, action, tenant, subject_ref, resource, outcome, details, alg, \
         prev_hash, hash, origin, nonce FROM privctl_ledger WHERE seq = ",
    )
    .bind(Param::Int(from));
    run(tx, &sql, 1).await
}

/// Inserts the entry as it is.
async fn insert_row(tx: &mut Tx, entry: &LedgerEntry) -> anyhow::Result<()> {
    let mut sql = tx.sql();
    sql.push("INSERT INTO privctl_ledger (seq");
    for field in Field::ALL {
        sql.push(", ").push(field.column());
    }
    sql.push(") VALUES (").bind(Param::Int(entry.seq));
    for field in Field::ALL {
        let value = field.get(entry);
        sql.push(", ")
            .bind(value.map_or(Param::Null, |v| Param::Text(v.to_owned())));
    }
    sql.push(")");
    run(tx, &sql, 1).await
}

/// Overwrites every column of the entry with `entry.seq`.
async fn rewrite_row(tx: &mut Tx, entry: &LedgerEntry) -> anyhow::Result<()> {
    let mut sql = tx.sql();
    sql.push("UPDATE privctl_ledger SET ");
    for (i, field) in Field::ALL.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let value = field.get(entry);
        sql.push(field.column())
            .push(" = ")
            .bind(value.map_or(Param::Null, |v| Param::Text(v.to_owned())));
    }
    sql.push(" WHERE seq = ").bind(Param::Int(entry.seq));
    run(tx, &sql, 1).await
}

/// Every entry, in seq order.
async fn read_ledger(tx: &mut Tx) -> anyhow::Result<Vec<LedgerEntry>> {
    let filter = LogFilter {
        limit: 1000,
        ..LogFilter::default()
    };
    let mut entries = privctl::ledger::log(tx, &filter).await?;
    entries.reverse();
    Ok(entries)
}

/// A ledger of [`ENTRIES`] entries as privctl wrote them, in a database of its own.
struct IntactLedger {
    db: Db,
    /// The entries as `append` returned them.
    entries: Vec<LedgerEntry>,
    /// Verifies with the key the ledger was written with (and appends, for the truncation cases).
    auditor: Ledger,
}

impl IntactLedger {
    /// Creates privctl's tables and appends [`ENTRIES`] entries, one transaction each, by three
    /// writers with awkward actor and host names.
    async fn write(test_db: &TestDb, key: Option<&[u8]>) -> IntactLedger {
        let db = Db::connect(&test_db.url, false)
            .await
            .expect("cannot connect to the test database");
        privctl::commands::init::create_tables(&db)
            .await
            .expect("cannot create privctl's tables");
        let writers = [
            ("ops@example.com", "db-admin-1"),
            (
                "Zoë \"night shift\" (ticket DSR-1234)",
                "host\\with\\backslashes",
            ),
            ("cron@scheduler", "line\nbreak.example"),
        ]
        .map(|(actor, host)| Ledger::new(key.map(<[u8]>::to_vec), actor.into(), host.into()));

        let mut entries = Vec::new();
        for (i, entry) in varied_entries().into_iter().enumerate() {
            // Two entries share a timestamp: `at` need not be unique.
            let at = first_at().plus_seconds(37 * (i as i64 / 2 * 2));
            let mut tx = db.begin(TxMode::Write).await.expect("cannot begin");
            let stored = writers[i % writers.len()]
                .append(&mut tx, at, entry)
                .await
                .expect("cannot append");
            tx.commit().await.expect("cannot commit");
            entries.push(stored);
        }
        assert_eq!(entries.len() as i64, ENTRIES);
        let intact = IntactLedger {
            db,
            entries,
            auditor: auditor_with(key),
        };
        intact.assert_intact().await;
        intact
    }

    fn head(&self) -> (i64, String) {
        let last = self.entries.last().expect("the ledger has entries");
        (last.seq, last.hash.clone())
    }

    /// Reads back as written, and verifies: on its own, and with the head and a middle entry
    /// as anchors.
    async fn assert_intact(&self) {
        let mut tx = self.db.begin(TxMode::Snapshot).await.expect("cannot begin");
        let stored = read_ledger(&mut tx).await.expect("cannot read the ledger");
        assert_eq!(
            stored, self.entries,
            "the ledger reads back as append returned it"
        );
        let (head_seq, head_hash) = self.head();
        let middle = &self.entries[index(ENTRIES / 2)];
        for anchor in [
            None,
            Some(Anchor {
                seq: head_seq,
                hash: head_hash.clone(),
            }),
            Some(Anchor {
                seq: middle.seq,
                hash: middle.hash.clone(),
            }),
        ] {
            let report = self
                .auditor
                .verify(&mut tx, anchor.as_ref())
                .await
                .expect("verify failed to run");
            assert!(
                report.ok(),
                "the intact ledger fails (anchor {anchor:?}): {report:?}"
            );
            assert_eq!(report.entries, ENTRIES as u64);
            assert_eq!(report.head, Some(self.head()));
            assert_eq!(report.start.as_ref().map(|s| s.seq), Some(1));
            assert!(report.notes.is_empty(), "{report:?}");
        }
        tx.rollback().await.expect("cannot roll back");
    }
}

/// A ledger that verifies (and appends) with `key`.
fn auditor_with(key: Option<&[u8]>) -> Ledger {
    Ledger::new(
        key.map(<[u8]>::to_vec),
        "auditor".into(),
        "audit-host".into(),
    )
}

fn first_at() -> Timestamp {
    Timestamp::parse(FIRST_AT).expect("a valid time")
}

/// [`ENTRIES`] entries with tenants NULL, empty and set, subject references and resources NULL
/// and set, and details with unicode, quotes, backslashes, newlines and control characters.
fn varied_entries() -> Vec<NewEntry> {
    let subject = "9c1f5e0a7b3d4c2e8f6a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e";
    let details: [Value; 10] = [
        json!({"tables": {"contacts": 3, "messages": 12}, "total_rows": 15}),
        json!({"quote": "she said \"erase me\"", "path": "C:\\exports\\jane"}),
        json!({"lines": "one\ntwo\r\nthree\ttab", "control": "\u{1}\u{1f}\u{7f}"}),
        json!({"names": ["Zoë", "Ĳssel", "東京", "Ωmega", "😀"], "café": "é"}),
        json!({}),
        json!({"separator": "\u{2028}\u{2029}", "slash": "a/b", "html": "<b>&amp;</b>"}),
        json!({"reason": "tenant `umbrella` is under legal hold", "legal_hold": true}),
        json!({"nested": {"deep": {"deeper": [1, 2.5, -3, null, false]}}, "empty": ""}),
        json!({"window": "90d", "cutoff": "2026-08-27T10:00:00Z", "tables": {"messages": 24}}),
        json!({"token_ref": "pct_…3f2a", "plan_digest": "sha256:00ff"}),
    ];
    let tenants = [
        Some("acme"),
        None,
        Some("globex"),
        Some("café-ünïcode"),
        Some(""),
        Some("ten'ant \"quoted\""),
        None,
    ];
    let actions = [
        ("dsar-preview", "planned"),
        ("dsar-export", "done"),
        ("dsar-delete", "done"),
        ("purge-retention", "done"),
        ("delete-tenant", "rejected"),
        ("export-tenant", "failed"),
    ];
    (0..ENTRIES as usize)
        .map(|i| {
            let (action, outcome) = actions[i % actions.len()];
            let mut entry = NewEntry::new(action, outcome, details[i % details.len()].clone())
                .tenant(tenants[i % tenants.len()]);
            if i % 3 != 1 {
                entry = entry.subject(&subject[i % 7..]);
            }
            match i % 4 {
                0 => entry = entry.resource("file:///exports/é \"bundle\".json.age"),
                1 => entry = entry.resource(""),
                _ => {}
            }
            entry
        })
        .collect()
}

/// `(seq, kind)` of every problem.
fn kinds(report: &Verification) -> Vec<(i64, &'static str)> {
    report
        .problems
        .iter()
        .map(|p| (p.seq, p.kind.as_str()))
        .collect()
}

fn first(report: &Verification) -> Option<(i64, &'static str)> {
    kinds(report).first().copied()
}

/// The index of an intact entry in a slice starting at seq 1.
fn index(seq: i64) -> usize {
    usize::try_from(seq - 1).expect("seqs start at 1")
}
