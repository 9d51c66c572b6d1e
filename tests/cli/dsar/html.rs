//! `privctl dsar export --output-format html`: the data subject's report, read the way they
//! will read it, in a real browser (headless Chromium: parsed, drawn and printed). The rows
//! expected are the fixture README's (see [`jane_all`]), written down before this format was;
//! the purposes, legal bases and windows are the fixture map's, for each tenant's plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;

use super::{JANE, LEDGER_KEY, assert_stderr_names_nobody, dsar, jane_all};
use crate::support::browser::{dump_dom, png_size, printed_text, screenshot};
use crate::support::fixture::setup;
use crate::support::{Dialect, Privctl, TestDb, both_dialects, mode, sha256_hex};

/// Exports `subject` of `tenant` as HTML to `name` in the test's directory; returns the page's
/// path and stdout's JSON.
fn export_html(
    db: &TestDb,
    privctl: &Privctl,
    tenant: &str,
    subject: &[&str],
    name: &str,
) -> (PathBuf, serde_json::Value) {
    let page = db.dir().join(name);
    let run = dsar(
        privctl,
        "export",
        tenant,
        subject,
        &[
            "--out",
            page.to_str().expect("a UTF-8 path"),
            "--output-format",
            "html",
        ],
    );
    let summary = run.success().json();
    assert_stderr_names_nobody(&[&run]);
    (page, summary)
}

/// `call_recordings` → `Call recordings`, as the page labels tables and columns.
fn label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    let first = chars.next().expect("a name");
    first.to_uppercase().chain(chars).collect()
}

/// The `<section>` of the table labelled `label`, as Chromium serialised it.
fn section<'d>(dom: &'d str, label: &str) -> &'d str {
    let heading = Regex::new(&format!(
        r#"<section id="(t\d+)" aria-labelledby="t\d+-h">\s*<h3 id="t\d+-h">{}</h3>"#,
        regex::escape(label)
    ))
    .expect("a pattern");
    let found = heading
        .find(dom)
        .unwrap_or_else(|| panic!("no section headed {label:?} in the page"));
    let rest = &dom[found.start()..];
    &rest[..rest.find("</section>").expect("the section ends")]
}

/// The ids of the records shown in a table's section, sorted: `Id` is a row header in the
/// one-table-per-record layout and the first column of the grid layout.
fn ids_in(section: &str) -> Vec<i64> {
    let record = Regex::new(r#"<th scope="row">Id</th><td>(\d+)</td>"#).expect("a pattern");
    let mut ids: Vec<i64> = record
        .captures_iter(section)
        .map(|c| c[1].parse().expect("an id"))
        .collect();
    if ids.is_empty() {
        let header = section.find("<thead><tr>").expect("a grid table");
        assert!(
            section[header..].starts_with(r#"<thead><tr><th scope="col">Id</th>"#),
            "the grid does not start with Id: {section}"
        );
        let grid = Regex::new(r"<tr><td>(\d+)</td>").expect("a pattern");
        ids = grid
            .captures_iter(section)
            .map(|c| c[1].parse().expect("an id"))
            .collect();
    }
    ids.sort_unstable();
    ids
}

/// The summary's row count for the table labelled `label`.
fn summary_count(dom: &str, label: &str) -> u64 {
    let row = Regex::new(&format!(
        r#"<tr><th scope="row"><a href="\#t\d+">{}</a></th><td>[^<]*</td><td class="n">(\d+)</td>"#,
        regex::escape(label)
    ))
    .expect("a pattern");
    let c = row
        .captures(dom)
        .unwrap_or_else(|| panic!("no summary row for {label:?}"));
    c[1].parse().expect("a count")
}

/// The section's facts (`<dt>term</dt><dd>value</dd>`), as text.
fn facts(section: &str) -> BTreeMap<String, String> {
    let fact = Regex::new(r"<dt>([^<]+)</dt><dd>(.*?)</dd>").expect("a pattern");
    fact.captures_iter(section)
        .map(|c| (c[1].to_owned(), c[2].to_owned()))
        .collect()
}

/// The file needs nothing from outside: no script, no stylesheet or image to fetch, links only
/// within the page, and a Content Security Policy that would refuse anything else.
fn assert_self_contained(raw: &str) {
    // Values are escaped, so every `<` in the file opens one of the page's own elements.
    for forbidden in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "<base",
    ] {
        assert!(
            !raw.to_lowercase().contains(forbidden),
            "the page contains {forbidden:?}"
        );
    }
    let fetching = Regex::new(r"(?i)<[^>]*\s(src|srcset|action|poster)=").expect("a pattern");
    assert!(!fetching.is_match(raw), "an element fetches something");
    let style = &raw[raw.find("<style>").expect("a style")..raw.find("</style>").expect("its end")];
    assert!(
        !style.contains("url(") && !style.contains("@import"),
        "the style fetches something"
    );
    let href = Regex::new(r#"href="([^"]*)""#).expect("a pattern");
    for c in href.captures_iter(raw) {
        assert!(c[1].starts_with('#'), "a link leaves the page: {}", &c[1]);
    }
    assert!(
        raw.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">"#),
        "no Content Security Policy"
    );
}

/// Headings in order and one `h1`; every table captioned; every header cell scoped.
fn assert_accessible_structure(dom: &str) {
    assert_eq!(dom.matches("<h1").count(), 1, "one h1");
    assert!(
        dom.contains(r#"<html lang="en">"#),
        "the page names its language"
    );
    let tables = dom.matches("<table").count();
    let captioned = Regex::new(r"<table[^>]*>\s*<caption")
        .expect("a pattern")
        .find_iter(dom)
        .count();
    assert!(tables > 0);
    assert_eq!(captioned, tables, "every table has a caption");
    let headers = dom.matches("<th").count() - dom.matches("<thead").count();
    let scoped = dom.matches(r#"<th scope=""#).count();
    assert_eq!(scoped, headers, "every header cell has a scope");
    // h2 and h3 only below the h1: no level skipped.
    assert!(!dom.contains("<h4") && !dom.contains("<h5"));
}

both_dialects! {
    /// Jane's report as Chromium parses it: every one of her rows in the section of its table,
    /// counted in the summary, with the map's purpose, legal basis, her tenant's windows and
    /// what erasure would do; nothing fetched from outside; an accessible structure; drawn in a
    /// window and printed on paper (without the page's table of contents).
    async fn janes_report_shows_every_row_why_it_is_held_and_how_long(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let (page, summary) = export_html(&db, &privctl, "acme", &JANE, "jane.html");
        let bytes = std::fs::read(&page).expect("the page was written");
        assert_eq!(summary["output_format"], "html", "{summary}");
        assert_eq!(summary["total_rows"], 34, "{summary}");
        assert_eq!(summary["sha256"], sha256_hex(&bytes), "stdout's sha256 is not the file's");
        assert_eq!(mode(&page), 0o600, "the page's file mode");
        let raw = String::from_utf8(bytes).expect("the page is UTF-8");
        assert_self_contained(&raw);

        let dom = dump_dom(&page, db.dir());
        assert_accessible_structure(&dom);
        assert!(
            dom.contains("<h1>Your personal data held by Acme Retail GmbH</h1>"),
            "the h1 names the tenant by the map's [tenant] name"
        );
        assert!(dom.contains("<dd>Acme Retail GmbH (account acme)</dd>"));
        assert!(dom.contains("<dd>your email address, your external id and your phone number</dd>"));
        assert!(dom.contains("<dd>34 records of 11 kinds</dd>"));

        let expected = jane_all();
        for (table, ids) in &expected {
            let section = section(&dom, &label(table));
            assert_eq!(&ids_in(section), ids, "{table}: the records shown");
            assert_eq!(summary_count(&dom, &label(table)), ids.len() as u64, "{table}: the summary's count");
        }
        assert!(
            dom.contains("<p>Also searched, and nothing about you found: Members.</p>"),
            "the empty tables are named"
        );
        // A value as stored, spaces and case kept.
        assert!(section(&dom, "Contacts").contains("<td> Jane.Doe@Example.COM </td>"));

        // Why, how long (acme is on growth: 90 days; transcripts count from the subscription's
        // end, which acme has not reached) and what erasure would do, per table.
        let conversations = facts(section(&dom, "Conversations"));
        assert_eq!(conversations["Purpose"], "To answer your questions in chat and voice conversations.");
        assert_eq!(
            conversations["How long it is kept"],
            "Deleted automatically 90 days after the date in “Created at”."
        );
        assert_eq!(conversations["If you ask for erasure"], "Deleted.");
        let transcripts = facts(section(&dom, "Transcripts"));
        assert_eq!(
            transcripts["How long it is kept"],
            "Kept while Acme Retail GmbH's subscription lasts, then deleted 30 days after it ends."
        );
        let invoices = facts(section(&dom, "Invoices"));
        assert_eq!(invoices["Legal basis"], "tax law: invoices kept 10 years");
        assert_eq!(
            invoices["If you ask for erasure"],
            "Kept without your details: “Customer email”, “Customer name” removed."
        );
        assert_eq!(invoices["How long it is kept"], "No time limit: kept until it is erased.");
        assert_eq!(facts(section(&dom, "Consent records"))["If you ask for erasure"], "Kept.");
        assert_eq!(
            facts(section(&dom, "Recordings"))["If you ask for erasure"],
            "Deleted, with the files it names."
        );
        assert!(
            dom.contains("<td>Kept.<span class=\"basis\">Why: GDPR Art. 7(1): proof of consent"),
            "the erasure table says why consent records stay"
        );
        assert!(!dom.contains("legal hold"), "acme is not on hold");

        // Drawn: the window's size, as a PNG. The docs show this one (refresh with
        // `PRIVCTL_BLESS=1 cargo test --test main html`).
        let png = db.dir().join("jane.png");
        screenshot(&page, db.dir(), &png, 1000, 1400);
        assert_eq!(png_size(&png), (1000, 1400));
        if dialect == Dialect::Sqlite && std::env::var_os("PRIVCTL_BLESS").is_some() {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("commands/img/dsar-export-html.png");
            std::fs::create_dir_all(docs.parent().expect("a folder")).expect("creating commands/img");
            std::fs::copy(&png, &docs).expect("copying the screenshot to the docs");
        }

        // Printed: every heading on paper, the table of contents (links) left off.
        let pages = printed_text(&page, db.dir());
        // Words as printed, whatever the line breaks.
        let printed = pages.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(pages.len() >= 2, "{} printed pages", pages.len());
        for heading in [
            "Your personal data held by Acme Retail GmbH",
            "What is held, and why",
            "If you ask for your data to be erased",
            "Your records",
            "Agent traces",
            "About this report",
        ] {
            assert!(printed.contains(heading), "{heading:?} is not on paper");
        }
        assert!(!printed.contains("Contents"), "the table of contents is printed");
        assert!(!printed.contains("Skip to your records"));
        db.cleanup().await;
    }

    /// Values that look like markup stay text: a contact's name that closes the table and opens
    /// a heading, a script and an image is shown as written, and the page keeps its structure.
    async fn values_that_look_like_markup_stay_text(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;
        let hostile = "</td></tr></table></section><h1>Injected</h1><script>document.title='x'</script><img src=x onerror=alert(1)>&amp;";
        db.execute(&format!(
            "UPDATE contacts SET name = '{}' WHERE id = 1",
            hostile.replace('\'', "''")
        ))
        .await;
        let (page, _) = export_html(&db, &privctl, "acme", &JANE, "jane.html");
        let raw = std::fs::read_to_string(&page).expect("the page");
        assert_self_contained(&raw);
        let dom = dump_dom(&page, db.dir());
        assert_accessible_structure(&dom);
        assert!(!dom.contains("<script") && !dom.contains("<img"), "markup got through");
        assert!(
            dom.contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;/section&gt;&lt;h1&gt;Injected&lt;/h1&gt;&lt;script&gt;document.title='x'&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;"),
            "the name is not shown as written"
        );
        assert_eq!(ids_in(section(&dom, "Contacts")), vec![1, 2, 3]);
        assert_eq!(ids_in(section(&dom, "Messages")), (1..=12).collect::<Vec<_>>());
        db.cleanup().await;
    }

    /// The windows are the subject's tenant's: hooli's own recording period and its ended
    /// subscription, umbrella's legal hold (nothing purged, nothing erasable for now), and over
    /// every tenant the range of the plans.
    async fn retention_is_said_for_the_subjects_tenant(dialect: Dialect) {
        let (db, privctl) = setup(dialect, LEDGER_KEY).await;

        // Erlich in hooli: starter (30 days), recording_retention_days = 30, ended 2026-06-15.
        let (page, _) = export_html(&db, &privctl, "hooli", &["--email", "erlich@example.com"], "erlich.html");
        let dom = dump_dom(&page, db.dir());
        assert!(dom.contains("<h1>Your personal data held by Hooli Ventures Inc</h1>"));
        assert_eq!(
            facts(section(&dom, "Recordings"))["How long it is kept"],
            "Deleted automatically 30 days after the date in “Created at” (a period Hooli Ventures Inc has chosen)."
        );
        assert_eq!(
            facts(section(&dom, "Transcripts"))["How long it is kept"],
            "Kept while Hooli Ventures Inc's subscription lasts, then deleted 30 days after it ends: it ended on 15 June 2026, so by 15 July 2026."
        );
        assert_eq!(
            facts(section(&dom, "Conversations"))["How long it is kept"],
            "Deleted automatically 30 days after the date in “Created at”."
        );
        assert_eq!(ids_in(section(&dom, "Recordings")), vec![401, 402]);
        assert!(!dom.contains("legal hold"));

        // Jill in umbrella: enterprise, under legal hold.
        let (page, _) = export_html(&db, &privctl, "umbrella", &["--email", "jill.valentine@example.com"], "jill.html");
        let dom = dump_dom(&page, db.dir());
        assert_eq!(
            facts(section(&dom, "Conversations"))["How long it is kept"],
            "Kept for now: a legal hold on Umbrella Health plc suspends automatic deletion."
        );
        assert!(dom.contains(
            "Umbrella Health plc is under a legal hold at present: nothing can be erased until it is lifted."
        ));

        // Jane over every tenant: the platform holds it, and the windows range over the plans.
        let page = db.dir().join("everywhere.html");
        privctl
            .clone()
            .args(["dsar", "export", "--all-tenants", "--email", "jane.doe@example.com", "--output-format", "html", "--out"])
            .arg(&page)
            .run()
            .success();
        let dom = dump_dom(&page, db.dir());
        assert!(dom.contains("<h1>Your personal data held by the platform</h1>"));
        assert_eq!(
            facts(section(&dom, "Conversations"))["How long it is kept"],
            "Between 30 days and no time limit after the date in “Created at”, depending on the organisation's plan."
        );
        let contacts = ids_in(section(&dom, "Contacts"));
        assert!(contacts.contains(&1) && contacts.contains(&101), "acme's and globex's Jane: {contacts:?}");
        db.cleanup().await;
    }
}
