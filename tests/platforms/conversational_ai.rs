//! conversational-ai (PLATFORMS.md): chat and voice agents with plan-tier retention. Its
//! promises, walked as an operator's scripts would walk them, on both databases.

use crate::support::fixture::{self, create_blobs, token_of, verify_ledger, write_map_copy};
use crate::support::{Dialect, Privctl, TestDb, both_dialects};

const LEDGER_KEY: &str = "conversational-ai-ledger-key-0123";
/// The fixed "now" of the retention windows below (fixtures/conversational-ai/README.md).
const NOW: &str = "2026-11-25T10:00:00Z";
const JANE: [&str; 8] = [
    "--tenant",
    "acme",
    "--email",
    "jane.doe@example.com",
    "--phone",
    "+49301234567",
    "--identity",
    "external_id=cust-1001",
];

/// The platform's [`setup`](super::setup): the fixture the other test files share, run here as
/// its operator would; the runner has the ledger key.
async fn setup(dialect: Dialect) -> (TestDb, Privctl) {
    super::setup(
        dialect,
        fixture::NAME,
        &[("PRIVCTL_LEDGER_KEY", LEDGER_KEY)],
    )
    .await
}

fn dsar(
    privctl: &Privctl,
    command: &str,
    member: Option<&str>,
    extra: &[&str],
) -> crate::support::RunOutput {
    let mut p = privctl
        .clone()
        .args(["--format", "json", "dsar", command])
        .args(JANE)
        .args(extra);
    if let Some(member) = member {
        p = p.args(["--on-behalf-of", member]);
    }
    p.run()
}

async fn ledger_count(db: &TestDb, action: &str, outcome: &str) -> i64 {
    db.query_i64(&format!(
        "SELECT count(*) FROM privctl_ledger WHERE action = '{action}' AND outcome = '{outcome}'"
    ))
    .await
}

async fn ids(db: &TestDb, table: &str, tenant: &str) -> Vec<String> {
    db.query_strings(&format!(
        "SELECT CAST(id AS TEXT) FROM {table} WHERE org_id = '{tenant}' ORDER BY id"
    ))
    .await
}

both_dialects! {
    /// "DSAR: preview (owner or admin), export (owner or admin), irreversible delete (owner only,
    /// two-step token)": every refusal exits 1, changes nothing, and is in the ledger.
    async fn dsar_preview_and_export_for_owners_and_admins_delete_for_owners_only(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        for member in ["owner@acme.example", "ADMIN@acme.example "] {
            dsar(&privctl, "preview", Some(member), &[]).success();
        }
        for member in ["agent@acme.example", "viewer@acme.example"] {
            let refused = dsar(&privctl, "preview", Some(member), &[]);
            refused.code(1);
            assert!(refused.stderr.contains("dsar preview is for owner or admin"), "{refused}");
        }
        // A member of another tenant, and no member at all, are refused the same way.
        let stranger = dsar(&privctl, "preview", Some("owner@globex.example"), &[]);
        stranger.code(1);
        assert!(stranger.stderr.contains("no member of tenant `acme` matches --on-behalf-of"), "{stranger}");
        assert_eq!(ledger_count(&db, "dsar-preview", "refused").await, 3);

        let out = db.dir().join("jane.json");
        let export = |member: &str| dsar(&privctl, "export", Some(member), &["--force", "--out", out.to_str().unwrap()]);
        export("admin@acme.example").success();
        export("agent@acme.example").code(1);
        assert_eq!(ledger_count(&db, "dsar-export", "refused").await, 1);

        // Only an owner may plan or carry out the erasure.
        dsar(&privctl, "delete", Some("admin@acme.example"), &[]).code(1);
        let plan = dsar(&privctl, "delete", Some("owner@acme.example"), &[]).success().json();
        let token = token_of(&plan);
        let contacts = ids(&db, "contacts", "acme").await;
        let refused = dsar(&privctl, "delete", Some("admin@acme.example"), &["--confirm", &token]);
        refused.code(1);
        assert_eq!(ids(&db, "contacts", "acme").await, contacts, "a refused delete erased rows");
        assert_eq!(ledger_count(&db, "dsar-delete", "refused").await, 2);
        // The refusal left the owner's token usable.
        let done = dsar(&privctl, "delete", Some("owner@acme.example"), &["--confirm", &token]).success().json();
        assert_eq!(done["remaining"], 0, "{done}");
        let recorded = db
            .query_strings("SELECT details FROM privctl_ledger WHERE action = 'dsar-delete' AND outcome = 'done'")
            .await;
        let details: serde_json::Value = serde_json::from_str(&recorded[0]).unwrap();
        assert_eq!(details["on_behalf_of"]["role"], "owner", "{details}");

        // The member is named by their row's key, never by what was typed.
        let ledger = db.query_strings("SELECT details FROM privctl_ledger").await.join("\n");
        assert!(!ledger.contains("@acme.example") && !ledger.contains("@globex.example"), "{ledger}");
        assert!(!refused.stderr.contains("admin@acme.example"), "{refused}");

        // --on-behalf-of with a map that has no [authz] is a usage error.
        let section = "[authz]\ntable = \"members\"\nmember = \"email\"\ntenant = \"org_id\"\nrole = \"role\"\npreview = [\"owner\", \"admin\"]\nexport = [\"owner\", \"admin\"]\ndelete = [\"owner\"]\n";
        let no_authz = write_map_copy(&db, "no-authz.toml", section, "");
        let usage = privctl.clone().map(&no_authz).args(["dsar", "preview"]).args(JANE).args(["--on-behalf-of", "owner@acme.example"]).run();
        usage.code(2);
        assert!(usage.stderr.contains("no [authz] section"), "{usage}");
        assert!(verify_ledger(&db, LEDGER_KEY).await.problems.is_empty());
        db.cleanup().await;
    }

    /// The whole policy in one walk: a DSAR for Jane (preview, export, delete with token, blobs
    /// gone), a leaving customer exported and deleted, the nightly purge keeping 30/90/365 days
    /// and unlimited per plan, and a ledger that verifies and names nobody.
    async fn conversational_ai_keeps_every_promise_of_its_privacy_policy(dialect: Dialect) {
        let (db, privctl) = setup(dialect).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let blobs = create_blobs(&db).await;
        let map = fixture::map_copy_path(&db);
        privctl.clone().map(&map).args(["map", "check"]).run().success();

        // DSAR: 34 rows (one shared address kept), exported, then erased with the token.
        let owner = Some("owner@acme.example");
        let plan = dsar(&privctl, "preview", owner, &[]).success().json();
        assert_eq!(plan["total_rows"], 34, "{plan}");
        let out = db.dir().join("jane.json");
        let export = dsar(&privctl, "export", owner, &["--out", out.to_str().unwrap()]).success().json();
        let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(bundle["kind"], "subject");
        assert_eq!(bundle["tables"]["contacts"].as_array().unwrap().len(), 3);
        for table in plan["tables"].as_array().unwrap() {
            let name = table["table"].as_str().unwrap();
            assert_eq!(export["row_counts"][name], table["rows"], "{name}: {export}");
        }
        let globex_before = fixture::snapshot(&db, |t| fixture::tenant_condition(t, "=", "globex")).await;
        dsar(&privctl, "delete", owner, &["--confirm", &token_of(&plan)]).success();
        assert_eq!(ids(&db, "contacts", "acme").await, ["4", "5", "6", "7"]);
        for blob in blobs.iter().filter(|b| b.tenant == "acme" && b.id == 1) {
            assert!(!blob.path.exists(), "{} outlived the erasure", blob.path.display());
        }
        assert_eq!(
            fixture::snapshot(&db, |t| fixture::tenant_condition(t, "=", "globex")).await,
            globex_before,
            "Jane's DSAR in acme touched globex"
        );

        // A leaving customer (hooli): every row exported, then the tenant deleted with its token.
        let bundle_path = db.dir().join("hooli.json");
        privctl.clone().args(["export-tenant", "--tenant", "hooli", "--out", bundle_path.to_str().unwrap()]).run().success();
        let hooli: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle_path).unwrap()).unwrap();
        assert_eq!(hooli["tables"]["conversations"].as_array().unwrap().len(), 4);
        let plan = privctl.clone().args(["--format", "json", "delete-tenant", "--tenant", "hooli"]).run().success().json();
        privctl.clone().args(["delete-tenant", "--tenant", "hooli", "--confirm", &token_of(&plan)]).run().success();
        assert!(ids(&db, "conversations", "hooli").await.is_empty());
        assert_eq!(ids(&db, "invoices", "hooli").await.len(), 1, "the invoice stays, anonymised");
        assert_eq!(
            db.query_strings("SELECT name FROM organizations WHERE id = 'hooli'").await,
            ["[redacted]"]
        );

        // The nightly purge: free 30d, growth 90d, scale 365d, enterprise (on hold) unlimited.
        let plan = privctl.clone().args(["--format", "json", "purge-retention"]).run().success().json();
        privctl.clone().args(["purge-retention", "--confirm", &token_of(&plan)]).run().success();
        assert_eq!(ids(&db, "conversations", "acme").await, ["4", "8"], "growth: older than 90 days goes");
        assert_eq!(ids(&db, "conversations", "globex").await, ["101", "103"], "free: older than 30 days goes");
        assert_eq!(ids(&db, "conversations", "initech").await, ["202", "203", "204"], "scale: older than 365 days goes");
        assert_eq!(ids(&db, "conversations", "umbrella").await, ["301", "302", "303"], "enterprise on hold keeps all");
        assert_eq!(ids(&db, "recordings", "globex").await, ["101"], "recordings younger than 90 days stay");
        assert_eq!(ids(&db, "invoices", "acme").await.len(), 5, "billing is never purged");

        // The ledger: every step recorded, the chain intact, no identifier in it.
        let verify = privctl.clone().args(["--format", "json", "audit-verify"]).run();
        assert_eq!(verify.success().json()["ok"], true, "{verify}");
        let ledger = db
            .query_strings("SELECT actor || ' ' || action || ' ' || COALESCE(subject_ref, '') || ' ' || details FROM privctl_ledger")
            .await
            .join("\n");
        for identifier in ["jane.doe", "Jane", "49301234567", "cust-1001"] {
            assert!(!ledger.contains(identifier), "the ledger holds {identifier}: {ledger}");
        }
        db.cleanup().await;
    }
}
