//! `--metrics-file PATH` on purge-retention, delete-tenant and dsar delete (issue 18): the
//! run's metrics in the Prometheus text format, as node_exporter's textfile collector reads
//! them, written atomically when the run ends, whatever its exit code. The figures are those
//! of the run's own JSON report; the last success survives the failed runs after it.

use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::delete_tenant::delete_tenant;
use crate::cli::purge_retention::{NOW, purge};
use crate::support::fixture::{setup, token_of};
use crate::support::{Dialect, both_dialects};

const LEDGER_KEY: &str = "metrics-tests-ledger-key-0c3f";

/// Every sample of a metrics file: `name{labels}` → value. Panics on a line that is not the
/// text format (a `# HELP` and `# TYPE gauge` before each metric's samples).
fn samples(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.ends_with('\n'), "{text}");
    let mut declared = std::collections::BTreeSet::new();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(
                rest.split_once(' ')
                    .is_some_and(|(_, help)| !help.is_empty()),
                "{line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert_eq!(kind, "gauge", "{line}");
            declared.insert(name.to_owned());
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = &series[..series
            .find('{')
            .unwrap_or_else(|| panic!("no labels: {line}"))];
        assert!(series.ends_with('}'), "{line}");
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{line}"
        );
        assert!(
            declared.contains(name),
            "a sample before its # TYPE: {line}"
        );
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(
            out.insert(series.to_owned(), value).is_none(),
            "a repeated series: {line}"
        );
    }
    out
}

/// No temporary file is left beside the metrics file.
fn assert_alone(dir: &Path, name: &str) {
    let others: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(name) && n != name)
        .collect();
    assert!(others.is_empty(), "left beside {name}: {others:?}");
}

both_dialects! {
    /// A confirmed purge writes its exit code, its rows per table, batches and objects as its
    /// JSON reports them, and its time as the last success; a refused dry run after it writes
    /// exit code 1 and keeps that last success.
    async fn a_purge_writes_what_it_did_and_a_failure_keeps_the_last_success(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let privctl = privctl.env("PRIVCTL_NOW", NOW);
        let dir = db.dir().join("textfile");
        std::fs::create_dir(&dir).unwrap();
        let file = dir.join("privctl_purge.prom");
        let metrics = file.to_str().unwrap();
        let plan = purge(&privctl, &["--metrics-file", metrics]).success().json();
        let planned = samples(&file);
        assert_eq!(planned["privctl_executed{command=\"purge-retention\"}"], 0.0);
        assert!(!planned.keys().any(|k| k.starts_with("privctl_last_success")), "{planned:?}");

        let done = purge(&privctl, &["--confirm", &token_of(&plan), "--metrics-file", metrics]).success().json();
        let after = samples(&file);
        assert_alone(&dir, "privctl_purge.prom");
        let run = "command=\"purge-retention\"";
        assert_eq!(after[&format!("privctl_exit_code{{{run}}}")], 0.0);
        assert_eq!(after[&format!("privctl_executed{{{run}}}")], 1.0);
        let now = time::OffsetDateTime::parse(NOW, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp() as f64;
        assert_eq!(after[&format!("privctl_last_run_timestamp_seconds{{{run}}}")], now);
        assert_eq!(after[&format!("privctl_last_success_timestamp_seconds{{{run}}}")], now);
        let mut deleted = 0;
        for table in done["tables"].as_array().unwrap() {
            let name = table["table"].as_str().unwrap();
            let rows = table["deleted"].as_f64().unwrap();
            assert_eq!(after[&format!("privctl_rows{{{run},table=\"{name}\",effect=\"deleted\"}}")], rows, "{name}");
            deleted += rows as u64;
        }
        assert!(deleted > 0, "{done}");
        let batches: u64 = done["tables"].as_array().unwrap().iter().map(|t| t["batches"].as_u64().unwrap()).sum();
        assert_eq!(after[&format!("privctl_batches{{{run}}}")], batches as f64);
        assert_eq!(after[&format!("privctl_blobs_deleted{{{run}}}")], done["blobs"]["deleted"].as_f64().unwrap());
        assert_eq!(after[&format!("privctl_blobs_failed{{{run}}}")], 0.0);

        // A day later the dry run is refused (too large a share of what is left): exit 1.
        let later = privctl.clone().env("PRIVCTL_NOW", "2027-06-01T00:00:00Z");
        let refused = purge(&later, &["--metrics-file", metrics]);
        refused.code(1);
        let failed = samples(&file);
        assert_eq!(failed[&format!("privctl_exit_code{{{run}}}")], 1.0);
        assert_eq!(failed[&format!("privctl_last_success_timestamp_seconds{{{run}}}")], now, "the last success is kept");
        assert!(failed[&format!("privctl_last_run_timestamp_seconds{{{run}}}")] > now);
        db.cleanup().await;
    }

    /// dsar delete and delete-tenant label their metrics with the tenant, and their rows per
    /// table are those of their JSON reports; a folder that does not exist is refused before
    /// the run does anything (exit 2, no token).
    async fn dsar_delete_and_delete_tenant_write_their_rows_per_table(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let file = db.dir().join("dsar.prom");
        let metrics = file.to_str().unwrap();
        let jane = ["--email", "jane.doe@example.com"];
        let missing = db.dir().join("no-such-folder/dsar.prom");
        let refused = privctl.clone().args(["dsar", "delete", "--tenant", "acme"]).args(jane).args(["--metrics-file", missing.to_str().unwrap()]).run();
        refused.code(2);
        assert!(refused.stderr.contains("no-such-folder") && !refused.stdout.contains("pct_"), "{refused}");
        let plan = privctl.clone().args(["--format", "json", "dsar", "delete", "--tenant", "acme"]).args(jane).run();
        let erased = privctl
            .clone()
            .args(["--format", "json", "dsar", "delete", "--tenant", "acme"])
            .args(jane)
            .args(["--confirm", &token_of(&plan.success().json()), "--metrics-file", metrics])
            .run();
        let erased = erased.success().json();
        let got = samples(&file);
        let labels = "command=\"dsar-delete\",tenant=\"acme\"";
        assert_eq!(got[&format!("privctl_exit_code{{{labels}}}")], 0.0);
        for table in erased["tables"].as_array().unwrap() {
            let key = format!(
                "privctl_rows{{{labels},table=\"{}\",effect=\"{}\"}}",
                table["table"].as_str().unwrap(),
                match table["effect"].as_str().unwrap() {
                    "delete" => "deleted",
                    "anonymise" => "anonymised",
                    "retain" => "retained",
                    other => panic!("effect {other}"),
                }
            );
            assert_eq!(got.get(&key), table["rows"].as_f64().as_ref(), "{key}: {got:?}");
        }
        assert!(!std::fs::read_to_string(&file).unwrap().contains("jane"), "a subject in the metrics");

        let file = db.dir().join("tenant.prom");
        let plan = delete_tenant(&privctl, "globex", &[]).success().json();
        let gone = delete_tenant(&privctl, "globex", &["--confirm", &token_of(&plan), "--metrics-file", file.to_str().unwrap()]);
        let gone = gone.success().json();
        let got = samples(&file);
        let labels = "command=\"delete-tenant\",tenant=\"globex\"";
        let rows: f64 = got.iter().filter(|(k, _)| k.starts_with(&format!("privctl_rows{{{labels},"))).map(|(_, v)| v).sum();
        assert_eq!(rows, gone["total_rows"].as_f64().unwrap());
        assert_eq!(got[&format!("privctl_batches{{{labels}}}")], gone["batches"].as_f64().unwrap());
        db.cleanup().await;
    }
}
