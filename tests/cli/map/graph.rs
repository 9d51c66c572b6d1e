//! `privctl map graph`: the data map as the model resolves it against the conversational-ai
//! fixture, in DOT, Mermaid and SVG. The ground truth is the fixture's README and schema,
//! written down here: the tenant table at the root, each table's route to it, the two owned
//! links and the one link erasure does not follow, the ignored table, each table's effect.

use crate::support::fixture::setup;
use crate::support::{Dialect, Privctl, both_dialects};

const LEDGER_KEY: &str = "graph-tests-ledger-key-6a1e";

fn graph(privctl: &Privctl, format: &str) -> String {
    privctl
        .clone()
        .args(["map", "graph", "--output-format", format])
        .run()
        .success()
        .stdout
        .clone()
}

/// DOT node ids by table name, from `nN [label="name\n…"`.
fn ids(dot: &str) -> std::collections::BTreeMap<String, String> {
    dot.lines()
        .filter(|l| !l.contains(" -> "))
        .filter_map(|l| {
            let l = l.trim();
            let (id, rest) = l.split_once(" [label=\"")?;
            let name = rest.split("\\n").next()?;
            Some((name.to_owned(), id.to_owned()))
        })
        .collect()
}

both_dialects! {
    /// Every mapped and ignored table is a node; the edges are the fixture's references, each
    /// once, drawn from the referenced table, with owned, not-followed and tenant-column edges
    /// styled apart; the labels say each table's erase effect and retention.
    async fn the_graph_shows_the_fixtures_routes_links_and_effects(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let dot = graph(&privctl, "dot");
        let id = ids(&dot);
        let tables = [
            "organizations", "addresses", "agent_traces", "attachments", "consent_records", "contacts",
            "conversations", "invoices", "members", "messages", "orders", "recordings", "transcripts",
            "schema_migrations",
        ];
        assert_eq!(id.keys().map(String::as_str).collect::<std::collections::BTreeSet<_>>(), tables.into_iter().collect(), "{dot}");
        let edge = |from: &str, to: &str, label: &str| format!("  {} -> {} [label=\"{label}\"", id[from], id[to]);
        for (from, to, label, look) in [
            ("organizations", "contacts", "org_id", ", color=\"#0d6efd\"];"),
            ("conversations", "messages", "conversation_id", "];"),
            ("messages", "attachments", "message_id [map]", "];"),
            ("addresses", "contacts", "address_id (owned)", ", penwidth=3];"),
            ("addresses", "orders", "shipping_address_id (owned)", ", penwidth=3];"),
            ("members", "conversations", "assigned_member_id (not followed)", ", style=dashed];"),
            ("recordings", "transcripts", "recording_id", "];"),
        ] {
            let line = edge(from, to, label) + look;
            assert_eq!(dot.matches(&line).count(), 1, "{line}\n{dot}");
        }
        // One edge per reference: no table has two edges with one label to one table.
        let edges: Vec<&str> = dot.lines().filter(|l| l.contains(" -> ")).collect();
        let distinct: std::collections::BTreeSet<_> = edges.iter().map(|l| l.split(" [").next().unwrap().to_owned() + l.split("label=").nth(1).unwrap()).collect();
        assert_eq!(distinct.len(), edges.len(), "{dot}");
        for (table, fact) in [
            ("organizations", "tenant table, id id"),
            ("invoices", "erase: anonymise customer_email, customer_name"),
            ("consent_records", "erase: retain"),
            ("recordings", "retention: recording (90d)"),
            ("contacts", "identities: email, external_id, phone"),
            ("schema_migrations", "ignored: framework bookkeeping"),
        ] {
            let line = dot.lines().find(|l| l.trim().starts_with(&format!("{} [label=\"{table}\\n", id[table]))).unwrap();
            assert!(line.contains(fact), "{table}: {line}");
        }

        let mermaid = graph(&privctl, "mermaid");
        assert!(mermaid.starts_with("flowchart TB\n"), "{mermaid}");
        assert!(mermaid.contains("==>|\"address_id (owned)\"|") && mermaid.contains("-.->|\"assigned_member_id (not followed)\"|"), "{mermaid}");
        assert_eq!(mermaid.matches("-->").count() + mermaid.matches("==>").count() + mermaid.matches("-.->").count(), edges.len());

        let svg = graph(&privctl, "svg");
        let body = svg.trim_start().strip_prefix(r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"#).unwrap_or(&svg);
        assert!(body.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "not an SVG document");
        for table in tables {
            assert!(svg.contains(table), "{table} is not in the picture");
        }
        db.cleanup().await;
    }
}

/// The README's picture is what `map graph --output-format mermaid` draws of the fixture now.
#[tokio::test]
async fn the_readmes_picture_is_current() {
    let (db, privctl) = setup(Dialect::Sqlite, LEDGER_KEY).await;
    let mermaid = graph(&privctl, "mermaid");
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("```mermaid\n")
        .expect("a mermaid block in the README")
        + "```mermaid\n".len();
    let end = readme[start..].find("```").unwrap() + start;
    assert_eq!(
        &readme[start..end],
        mermaid,
        "the README's map picture is stale: paste `privctl map graph --output-format mermaid` of the conversational-ai demo"
    );
    db.cleanup().await;
}
