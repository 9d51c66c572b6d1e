//! `dsar export --output-format html`: the subject's data as one page a person can open, read
//! and print (GDPR Art. 12(1) and 15): who holds it, what kinds and how many records, why
//! (purposes and legal bases from the map), how long each is kept, what erasure would do, and
//! every record in a readable table.
//!
//! One self-contained file: styles inline, no script, no external asset, and a Content Security
//! Policy that would stop any from loading. Every value and every name from the database is
//! escaped; element ids are numbers, never names. The summary comes first but needs the counts,
//! so the rendered tables are held in memory until [`HtmlReport::finish`]: this format is for one
//! subject's data, not a tenant's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Result;
use serde_json::{Map, Value};

use super::{OutputFile, Sealed};
use crate::clock::Timestamp;
use crate::map::{AnonymiseMode, Erase, Window};
use crate::model::Model;
use crate::retention::Stated;

/// Tables with more columns than this show each record as its own two-column table (field,
/// value), which stays readable on a phone and on paper; narrower ones are one grid.
const GRID_COLUMNS: usize = 6;

/// What the report says besides the rows.
#[derive(Debug, Clone)]
pub struct About {
    /// Who holds the data, as the subject knows them: the tenant's name, else its id.
    pub holder: String,
    /// The tenant's id, when it is not the holder's name already.
    pub account: Option<String>,
    pub generated_at: Timestamp,
    /// The kinds of identifiers the subject was found by (`email`, `phone`, …), never the values.
    pub found_by: Vec<String>,
    /// A legal hold stops erasure for now (the tenant's, or with `--all-tenants` some tenant's):
    /// the sentence that says so.
    pub hold: Option<String>,
    pub tables: BTreeMap<String, TableAbout>,
}

/// One table, as the report describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableAbout {
    pub category: Option<String>,
    pub purpose: Option<String>,
    pub legal_basis: Option<String>,
    /// How long its rows are kept, in words.
    pub retention: String,
    /// What `dsar delete` does to its rows, in words.
    pub erasure: String,
}

/// Every mapped table of `model` described for the subject, with `stated` retention (see
/// [`crate::retention::stated`]); `holder` names the tenant in sentences.
pub fn describe(
    model: &Model,
    stated: &BTreeMap<String, Stated>,
    holder: &str,
) -> BTreeMap<String, TableAbout> {
    model
        .nodes
        .iter()
        .map(|(name, node)| {
            let spec = &node.spec;
            let retention = stated.get(name).map_or_else(
                || "Not stated.".to_owned(),
                |s| retention_in_words(s, spec.timestamp.as_deref(), holder),
            );
            let about = TableAbout {
                category: spec.category.clone(),
                purpose: spec.purpose.clone(),
                legal_basis: spec.legal_basis.clone(),
                retention,
                erasure: erasure_in_words(&spec.erase.subject, spec.blob.is_some()),
            };
            (name.clone(), about)
        })
        .collect()
}

fn window_in_words(window: &Window) -> String {
    match window {
        Window::Unlimited => "no time limit".to_owned(),
        Window::Keep(d) => d.in_words(),
    }
}

/// A table's retention as a sentence (`timestamp`: the column its window counts from).
pub fn retention_in_words(stated: &Stated, timestamp: Option<&str>, holder: &str) -> String {
    let from = match timestamp {
        Some(column) => format!("the date in “{}”", label(column)),
        None => "it was recorded".to_owned(),
    };
    match stated {
        Stated::Keep {
            window: Window::Unlimited,
            ..
        }
        | Stated::NoWindow => "No time limit: kept until it is erased.".to_owned(),
        Stated::Keep {
            window: Window::Keep(d),
            overridden,
        } => {
            let chosen = if *overridden {
                format!(" (a period {holder} has chosen)")
            } else {
                String::new()
            };
            format!(
                "Deleted automatically {} after {from}{chosen}.",
                d.in_words()
            )
        }
        Stated::AfterEnd { window, ended } => {
            let after = match window {
                Window::Unlimited => {
                    return format!(
                        "No time limit: kept until it is erased, even after {holder}'s subscription ends."
                    );
                }
                Window::Keep(d) => format!("{} after it ends", d.in_words()),
            };
            match (ended, window) {
                (Some(ended), Window::Keep(d)) => format!(
                    "Kept while {holder}'s subscription lasts, then deleted {after}: it ended on {}, so by {}.",
                    ended.date_in_words(),
                    ended.plus_seconds(d.seconds()).date_in_words()
                ),
                _ => format!("Kept while {holder}'s subscription lasts, then deleted {after}."),
            }
        }
        Stated::PerPlan(tiers) => {
            let mut windows: Vec<&Window> = tiers.values().collect();
            windows.sort_by_key(|w| match w {
                Window::Keep(d) => d.seconds(),
                Window::Unlimited => i64::MAX,
            });
            windows.dedup();
            match windows.as_slice() {
                [] => "Not stated.".to_owned(),
                [only] => format!(
                    "Deleted automatically {} after {from}.",
                    window_in_words(only)
                ),
                [first, .., last] => format!(
                    "Between {} and {} after {from}, depending on the organisation's plan.",
                    window_in_words(first),
                    window_in_words(last)
                ),
            }
        }
        Stated::WithParents(parents) => {
            let parents: Vec<String> = parents.iter().map(|p| label(p).to_lowercase()).collect();
            format!(
                "Deleted together with the {} it belongs to.",
                parents.join(" or ")
            )
        }
        Stated::Held => {
            format!("Kept for now: a legal hold on {holder} suspends automatic deletion.")
        }
        Stated::Unstated => format!("Not stated here: ask {holder}."),
    }
}

/// What `dsar delete` does to a table's rows, as a sentence.
pub fn erasure_in_words(erase: &Erase, blob: bool) -> String {
    match erase {
        Erase::Delete if blob => "Deleted, with the files it names.".to_owned(),
        Erase::Delete => "Deleted.".to_owned(),
        Erase::Retain => "Kept.".to_owned(),
        Erase::Anonymise(columns) => {
            let mut removed = Vec::new();
            let mut scrubbed = Vec::new();
            for (column, mode) in columns {
                match mode {
                    AnonymiseMode::Scrub => scrubbed.push(format!("“{}”", label(column))),
                    _ => removed.push(format!("“{}”", label(column))),
                }
            }
            let mut parts = Vec::new();
            if !removed.is_empty() {
                parts.push(format!("{} removed", removed.join(", ")));
            }
            if !scrubbed.is_empty() {
                parts.push(format!("your details taken out of {}", scrubbed.join(", ")));
            }
            format!("Kept without your details: {}.", parts.join("; "))
        }
    }
}

/// `call_recordings` → `Call recordings`: a database name as a label.
pub fn label(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        None => name.to_owned(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
    }
}

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// [`escape`] into `out`: runs of plain text are copied whole.
fn push_escaped(out: &mut String, text: &str) {
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        let entity = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        out.push_str(entity);
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

/// One value as cell content, into `out`: text escaped, JSON shown indented, empty values said.
fn push_cell(out: &mut String, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => out.push_str("<span class=\"empty\">(empty)</span>"),
        Some(Value::Bool(true)) => out.push_str("yes"),
        Some(Value::Bool(false)) => out.push_str("no"),
        Some(Value::Number(n)) => {
            let _ = write!(out, "{n}");
        }
        Some(Value::String(s)) => push_escaped(out, s),
        Some(other) => {
            out.push_str("<pre>");
            push_escaped(
                out,
                &serde_json::to_string_pretty(other).unwrap_or_default(),
            );
            out.push_str("</pre>");
        }
    }
}

/// A table's records, rendered as they arrive.
struct Rendered {
    name: String,
    /// The section's element id: its position (`t3`), never its name (the database's text).
    id: String,
    columns: Vec<String>,
    /// The table's and its columns' labels, escaped once (for the one-table-per-record layout).
    shown_name: String,
    shown_columns: Vec<String>,
    html: String,
    rows: u64,
}

/// The report being written: rows are rendered table by table, the page is written at the end.
pub struct HtmlReport {
    file: OutputFile,
    page: Page,
    current: Option<Rendered>,
}

/// What the page says: the facts, and the tables rendered so far.
struct Page {
    about: About,
    done: Vec<Rendered>,
}

impl HtmlReport {
    pub fn new(file: OutputFile, about: About) -> Self {
        Self {
            file,
            page: Page {
                about,
                done: Vec::new(),
            },
            current: None,
        }
    }

    pub fn file(&self) -> &OutputFile {
        &self.file
    }

    pub fn begin_table(&mut self, name: &str, columns: &[String]) {
        self.current = Some(Rendered {
            name: name.to_owned(),
            id: format!("t{}", self.page.done.len()),
            columns: columns.to_vec(),
            shown_name: escape(&label(name)),
            shown_columns: columns.iter().map(|c| escape(&label(c))).collect(),
            html: String::new(),
            rows: 0,
        });
    }

    pub fn row(&mut self, row: &Map<String, Value>) {
        let table = self.current.as_mut().expect("begin_table first");
        table.rows += 1;
        let html = &mut table.html;
        if table.columns.len() <= GRID_COLUMNS {
            html.push_str("<tr>");
            for column in &table.columns {
                html.push_str("<td>");
                push_cell(html, row.get(column));
                html.push_str("</td>");
            }
            html.push_str("</tr>\n");
        } else {
            let _ = write!(
                html,
                "<table class=\"record\">\n<caption>{}, record {}</caption>\n<tbody>\n",
                table.shown_name, table.rows
            );
            for (column, shown) in table.columns.iter().zip(&table.shown_columns) {
                html.push_str("<tr><th scope=\"row\">");
                html.push_str(shown);
                html.push_str("</th><td>");
                push_cell(html, row.get(column));
                html.push_str("</td></tr>\n");
            }
            html.push_str("</tbody>\n</table>\n");
        }
    }

    pub fn end_table(&mut self) {
        let table = self.current.take().expect("begin_table first");
        self.page.done.push(table);
    }

    /// Writes the page, with the manifest's notes on left-out and shortened columns, and seals
    /// the file (still at its partial path).
    pub fn finish(self, manifest: &Value) -> Result<Sealed> {
        let HtmlReport { mut file, page, .. } = self;
        page.write(&mut file, manifest)?;
        file.seal()
    }
}

impl Page {
    /// Writes the page to `file`, a table's section at a time.
    fn write(&self, file: &mut OutputFile, manifest: &Value) -> Result<()> {
        let about = &self.about;
        let holder = escape(&about.holder);
        let found: Vec<&Rendered> = self.done.iter().filter(|t| t.rows > 0).collect();
        let empty: Vec<&Rendered> = self.done.iter().filter(|t| t.rows == 0).collect();
        let total: u64 = found.iter().map(|t| t.rows).sum();
        let facts = |name: &str| self.about.tables.get(name);

        let mut out = String::with_capacity(64 * 1024);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
             <meta name=\"generator\" content=\"privctl {}\">\n\
             <title>Your personal data held by {holder}</title>\n<style>\n{}</style>\n</head>\n<body>\n\
             <a class=\"skip\" href=\"#records\">Skip to your records</a>\n",
            env!("CARGO_PKG_VERSION"),
            style()
        );

        // Who, when, how many.
        let _ = write!(
            out,
            "<header>\n<h1>Your personal data held by {holder}</h1>\n\
             <p>This is a copy of the personal data that {holder} holds about you, as it stood on \
             {}. It answers your request for access to your data (Article 15 of the GDPR).</p>\n\
             <dl class=\"facts\">\n<dt>Held by</dt><dd>{holder}{}</dd>\n\
             <dt>Found by</dt><dd>{}</dd>\n<dt>Records</dt><dd>{}</dd>\n</dl>\n</header>\n",
            about.generated_at.in_words(),
            about
                .account
                .as_ref()
                .map(|a| format!(" (account {})", escape(a)))
                .unwrap_or_default(),
            escape(&found_by(&about.found_by)),
            match (total, found.len()) {
                (0, _) => "none were found".to_owned(),
                (1, _) => "1 record".to_owned(),
                (n, 1) => format!("{n} records of 1 kind"),
                (n, k) => format!("{n} records of {k} kinds"),
            }
        );

        // Contents: plain links, no script.
        out.push_str(
            "<nav aria-labelledby=\"contents\">\n<h2 id=\"contents\">Contents</h2>\n<ol>\n\
             <li><a href=\"#summary\">What is held, and why</a></li>\n\
             <li><a href=\"#erasure\">If you ask for your data to be erased</a></li>\n\
             <li><a href=\"#records\">Your records</a>",
        );
        if !found.is_empty() {
            out.push_str("\n<ol>\n");
            for t in &found {
                let _ = writeln!(out, "<li><a href=\"#{}\">{}</a></li>", t.id, t.shown_name);
            }
            out.push_str("</ol>\n");
        }
        out.push_str(
            "</li>\n<li><a href=\"#about\">About this report</a></li>\n</ol>\n</nav>\n<main>\n",
        );

        // What is held, and why.
        out.push_str(
            "<section id=\"summary\" aria-labelledby=\"summary-h\">\n\
             <h2 id=\"summary-h\">What is held, and why</h2>\n",
        );
        if found.is_empty() {
            let _ = writeln!(out, "<p>{holder} holds no records about you.</p>");
        } else {
            out.push_str(
                "<div class=\"scroll\" role=\"region\" aria-labelledby=\"summary-c\" tabindex=\"0\">\n\
                 <table>\n<caption id=\"summary-c\">Your data by kind: how many records, why they \
                 are held and how long they are kept</caption>\n<thead><tr>\
                 <th scope=\"col\">Kind of data</th><th scope=\"col\">Category</th>\
                 <th scope=\"col\" class=\"n\">Records</th><th scope=\"col\">Why it is held</th>\
                 <th scope=\"col\">How long it is kept</th></tr></thead>\n<tbody>\n",
            );
            for t in &found {
                let f = facts(&t.name);
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\"><a href=\"#{}\">{}</a></th><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                    t.id,
                    t.shown_name,
                    optional(f.and_then(|f| f.category.as_deref().map(label))),
                    t.rows,
                    f.map_or_else(|| optional(None), why_held),
                    escape(f.map_or("", |f| &f.retention))
                );
            }
            out.push_str("</tbody>\n</table>\n</div>\n");
        }
        if !empty.is_empty() {
            let names: Vec<&str> = empty.iter().map(|t| t.shown_name.as_str()).collect();
            let _ = writeln!(
                out,
                "<p>Also searched, and nothing about you found: {}.</p>",
                names.join(", ")
            );
        }
        out.push_str("</section>\n");

        // What erasure would do.
        out.push_str(
            "<section id=\"erasure\" aria-labelledby=\"erasure-h\">\n\
             <h2 id=\"erasure-h\">If you ask for your data to be erased</h2>\n",
        );
        if let Some(hold) = &about.hold {
            let _ = writeln!(out, "<p class=\"notice\">{}</p>", escape(hold));
        }
        if found.is_empty() {
            out.push_str("<p>There is nothing to erase.</p>\n");
        } else {
            out.push_str(
                "<div class=\"scroll\" role=\"region\" aria-labelledby=\"erasure-c\" tabindex=\"0\">\n\
                 <table>\n<caption id=\"erasure-c\">What an erasure would do to each kind of \
                 data</caption>\n<thead><tr><th scope=\"col\">Kind of data</th>\
                 <th scope=\"col\" class=\"n\">Records</th><th scope=\"col\">What happens</th>\
                 </tr></thead>\n<tbody>\n",
            );
            for t in &found {
                let f = facts(&t.name);
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td>{}</td></tr>",
                    t.shown_name,
                    t.rows,
                    f.map_or_else(|| optional(None), what_erasure_does),
                );
            }
            out.push_str("</tbody>\n</table>\n</div>\n");
        }
        out.push_str("</section>\n");

        // The records.
        out.push_str(
            "<section id=\"records\" aria-labelledby=\"records-h\">\n\
             <h2 id=\"records-h\">Your records</h2>\n",
        );
        if found.is_empty() {
            out.push_str("<p>No records were found.</p>\n");
        }
        for t in &found {
            self.write_table(&mut out, t, facts(&t.name), manifest);
            file.write_all(out.as_bytes())?;
            out.clear();
        }
        out.push_str("</section>\n</main>\n");

        let _ = write!(
            out,
            "<footer id=\"about\" aria-labelledby=\"about-h\">\n<h2 id=\"about-h\">About this report</h2>\n\
             <p>Produced on {} by privctl {} from one consistent reading of {holder}'s database. \
             Values are shown as they are stored; dates and times are as recorded. Where a column \
             is left out or shortened, the section says so.</p>\n\
             <p>The same data is available as a machine-readable file (JSON) on request.</p>\n\
             </footer>\n</body>\n</html>\n",
            about.generated_at.in_words(),
            env!("CARGO_PKG_VERSION"),
        );
        file.write_all(out.as_bytes())?;
        Ok(())
    }

    fn write_table(
        &self,
        out: &mut String,
        t: &Rendered,
        facts: Option<&TableAbout>,
        manifest: &Value,
    ) {
        let (id, name) = (&t.id, &t.shown_name);
        let _ = write!(
            out,
            "<section id=\"{id}\" aria-labelledby=\"{id}-h\">\n<h3 id=\"{id}-h\">{name}</h3>\n<dl class=\"facts\">\n"
        );
        if let Some(f) = facts {
            for (term, value) in [
                ("Purpose", f.purpose.as_deref().map(sentence)),
                ("Legal basis", f.legal_basis.clone()),
                ("How long it is kept", Some(f.retention.clone())),
                ("If you ask for erasure", Some(f.erasure.clone())),
            ] {
                let _ = writeln!(out, "<dt>{term}</dt><dd>{}</dd>", optional(value));
            }
        }
        out.push_str("</dl>\n");
        let listed = |key: &str, mode: &str| -> Vec<String> {
            manifest[key][&t.name][mode]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|c| format!("“{}”", escape(&label(c))))
                .collect()
        };
        let omitted = listed("redacted_columns", "omit");
        if !omitted.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"note\">Left out of this report (held, but not of use to you and a risk \
                 in any copy): {}.</p>",
                omitted.join(", ")
            );
        }
        let shortened = listed("redacted_columns", "redact");
        if !shortened.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"note\">Shown by their last four characters only: {}.</p>",
                shortened.join(", ")
            );
        }
        if manifest["encrypted_columns"][&t.name]["decrypted"] == Value::Bool(false) {
            let columns: Vec<String> = manifest["encrypted_columns"][&t.name]["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|c| format!("“{}”", escape(&label(c))))
                .collect();
            let _ = writeln!(
                out,
                "<p class=\"note\">Stored encrypted and shown as stored: {}.</p>",
                columns.join(", ")
            );
        }
        let records = if t.rows == 1 {
            "1 record".to_owned()
        } else {
            format!("{} records", t.rows)
        };
        if t.columns.len() <= GRID_COLUMNS {
            let _ = write!(
                out,
                "<div class=\"scroll\" role=\"region\" aria-labelledby=\"{id}-c\" tabindex=\"0\">\n\
                 <table>\n<caption id=\"{id}-c\">{name}: {records}</caption>\n<thead><tr>"
            );
            for column in &t.columns {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&label(column)));
            }
            let _ = write!(
                out,
                "</tr></thead>\n<tbody>\n{}</tbody>\n</table>\n</div>\n",
                t.html
            );
        } else {
            let _ = write!(
                out,
                "<p>{records}, each shown as its own table.</p>\n{}",
                t.html
            );
        }
        out.push_str("</section>\n");
    }
}

/// `email`, `phone` → `your email address and your phone number`.
fn found_by(kinds: &[String]) -> String {
    let words: Vec<String> = kinds
        .iter()
        .map(|k| match k.as_str() {
            "email" => "your email address".to_owned(),
            "phone" => "your phone number".to_owned(),
            other => format!("your {}", label(other).to_lowercase()),
        })
        .collect();
    match words.as_slice() {
        [] => "your identifiers".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Why it is held": the purpose, and the legal basis when the map gives one.
fn why_held(f: &TableAbout) -> String {
    match (&f.purpose, &f.legal_basis) {
        (None, None) => optional(None),
        (Some(p), None) => escape(&sentence(p)),
        (None, Some(b)) => format!("Legal basis: {}", escape(b)),
        (Some(p), Some(b)) => format!(
            "{}<span class=\"basis\">Legal basis: {}</span>",
            escape(&sentence(p)),
            escape(b)
        ),
    }
}

/// "What happens": the erasure's effect, and why anything stays.
fn what_erasure_does(f: &TableAbout) -> String {
    match &f.legal_basis {
        Some(b) if !f.erasure.starts_with("Deleted") => format!(
            "{}<span class=\"basis\">Why: {}</span>",
            escape(&f.erasure),
            escape(b)
        ),
        _ => escape(&f.erasure),
    }
}

/// `to bill for orders` → `To bill for orders.`
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        None => return String::new(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// An optional text escaped, or a dash read as "not stated".
fn optional(text: Option<String>) -> String {
    match text {
        Some(t) if !t.trim().is_empty() => escape(&t),
        _ => "<span class=\"empty\">not stated</span>".to_owned(),
    }
}

/// The page's colours: (text, background) pairs that every piece of text is drawn in.
pub const TEXT: &str = "#1b1b1b";
pub const MUTED: &str = "#4d4d4d";
pub const PAPER: &str = "#ffffff";
pub const BAND: &str = "#eef2f6";
pub const LINK: &str = "#0b4fb0";
pub const NOTICE_TEXT: &str = "#5c2a00";
pub const NOTICE: &str = "#fff4e0";

/// Every (foreground, background) pair the style draws text in: each must reach WCAG AA.
pub const PAIRS: [(&str, &str); 7] = [
    (TEXT, PAPER),
    (TEXT, BAND),
    (MUTED, PAPER),
    (MUTED, BAND),
    (LINK, PAPER),
    (LINK, BAND),
    (NOTICE_TEXT, NOTICE),
];

fn style() -> String {
    format!(
        "html{{color:{TEXT};background:{PAPER};}}\n\
body{{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;max-width:72rem;margin:0 auto;padding:1.5rem;}}\n\
h1{{font-size:1.9rem;line-height:1.2;margin:0 0 .75rem;}}\n\
h2{{font-size:1.4rem;margin:2.25rem 0 .75rem;border-bottom:2px solid {BAND};padding-bottom:.25rem;}}\n\
h3{{font-size:1.15rem;margin:1.75rem 0 .5rem;}}\n\
a{{color:{LINK};}}\n\
a:focus,.scroll:focus{{outline:3px solid {LINK};outline-offset:2px;}}\n\
.skip{{position:absolute;left:-10000px;}}\n\
.skip:focus{{position:static;}}\n\
dl.facts{{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0 1rem;}}\n\
dl.facts dt{{font-weight:600;}}\n\
dl.facts dd{{margin:0;}}\n\
.scroll{{overflow-x:auto;margin:.5rem 0 1rem;}}\n\
table{{border-collapse:collapse;width:100%;font-size:.95rem;}}\n\
table.record{{margin:.5rem 0 1rem;}}\n\
table.record th{{width:30%;}}\n\
caption{{text-align:left;font-weight:600;padding:.25rem 0;caption-side:top;}}\n\
th,td{{border:1px solid #8a8f96;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word;white-space:pre-wrap;}}\n\
thead th,tbody th{{background:{BAND};}}\n\
.n{{text-align:right;font-variant-numeric:tabular-nums;}}\n\
pre{{margin:0;font:.85rem/1.4 ui-monospace,\"DejaVu Sans Mono\",monospace;white-space:pre-wrap;}}\n\
.empty{{color:{MUTED};font-style:italic;}}\n\
.basis{{display:block;margin-top:.25rem;color:{MUTED};}}\n\
.note{{color:{MUTED};}}\n\
.notice{{color:{NOTICE_TEXT};background:{NOTICE};padding:.5rem .75rem;border-left:4px solid {NOTICE_TEXT};}}\n\
footer{{margin-top:2.5rem;color:{MUTED};}}\n\
@media print{{\n\
body{{max-width:none;padding:0;font-size:10pt;}}\n\
nav,.skip{{display:none;}}\n\
a{{color:inherit;text-decoration:none;}}\n\
.scroll{{overflow:visible;}}\n\
thead{{display:table-header-group;}}\n\
tr,table.record{{break-inside:avoid;}}\n\
h2,h3,caption{{break-after:avoid;}}\n\
}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2.x relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_text_colour_reaches_wcag_aa_on_its_background() {
        for (fg, bg) in PAIRS {
            let ratio = contrast(fg, bg);
            assert!(ratio >= 4.5, "{fg} on {bg}: {ratio:.2}:1, under 4.5:1");
        }
        // The check itself: black on white is 21:1, and a pale grey fails.
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 0.01);
        assert!(contrast("#999999", "#ffffff") < 4.5);
    }

    #[test]
    fn the_style_draws_text_only_in_the_checked_colours() {
        let style = style();
        let mut at = 0;
        while let Some(i) = style[at..].find("color:") {
            let start = at + i + "color:".len();
            let value: String = style[start..]
                .chars()
                .take_while(|c| *c != ';' && *c != '}')
                .collect();
            if value != "inherit" {
                assert!(
                    PAIRS.iter().any(|(fg, _)| *fg == value),
                    "color:{value} is not one of the checked pairs"
                );
            }
            at = start;
        }
    }

    #[test]
    fn says_each_kind_of_retention_in_words() {
        let words = |stated: Stated| retention_in_words(&stated, Some("created_at"), "Acme");
        assert_eq!(
            words(Stated::NoWindow),
            "No time limit: kept until it is erased."
        );
        assert_eq!(
            words(Stated::WithParents(vec!["conversations".into()])),
            "Deleted together with the conversations it belongs to."
        );
        assert_eq!(words(Stated::Unstated), "Not stated here: ask Acme.");
        let keep = |text: &str| Window::parse(text).unwrap();
        assert_eq!(
            words(Stated::Keep {
                window: keep("1y"),
                overridden: false
            }),
            "Deleted automatically 1 year after the date in “Created at”."
        );
        assert_eq!(
            words(Stated::AfterEnd {
                window: keep("unlimited"),
                ended: None
            }),
            "No time limit: kept until it is erased, even after Acme's subscription ends."
        );
        let plans = [("free", keep("30d")), ("pro", keep("30d"))];
        assert_eq!(
            words(Stated::PerPlan(
                plans.into_iter().map(|(p, w)| (p.to_owned(), w)).collect()
            )),
            "Deleted automatically 30 days after the date in “Created at”."
        );
        assert_eq!(
            retention_in_words(
                &Stated::Keep {
                    window: keep("7d"),
                    overridden: false
                },
                None,
                "Acme"
            ),
            "Deleted automatically 1 week after it was recorded."
        );
    }

    #[test]
    fn says_what_erasure_does() {
        let anonymise = Erase::Anonymise(vec![
            ("customer_email".into(), AnonymiseMode::Null),
            ("notes".into(), AnonymiseMode::Scrub),
        ]);
        assert_eq!(
            erasure_in_words(&anonymise, false),
            "Kept without your details: “Customer email” removed; your details taken out of “Notes”."
        );
        assert_eq!(erasure_in_words(&Erase::Retain, true), "Kept.");
        assert_eq!(
            erasure_in_words(&Erase::Delete, true),
            "Deleted, with the files it names."
        );
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("</td><script>alert('x')</script> & \"q\""),
            "&lt;/td&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(label("call_recordings"), "Call recordings");
        assert_eq!(label("createdAt"), "CreatedAt");
        assert_eq!(label("_"), "_");
    }

    #[test]
    fn says_the_identifiers_by_kind() {
        let kinds = |k: &[&str]| found_by(&k.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(kinds(&["email"]), "your email address");
        assert_eq!(
            kinds(&["email", "phone", "external_id"]),
            "your email address, your phone number and your external id"
        );
    }
}
