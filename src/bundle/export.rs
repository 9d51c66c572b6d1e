//! The one export loop, shared by `dsar export` and `export-tenant`: a selection's rows, table by
//! table from the caller's snapshot, shaped by the map (omitted, redacted and decrypted columns)
//! into a [`Sink`], and the manifest that says what the bundle holds and what stays behind.

use anyhow::{Context as _, Result};
use serde_json::{Map, Value, json};

use super::RowShaping;
use super::columns::ColumnCipher;
use super::sink::Sink;
use crate::db::{Sql, Tx};
use crate::map::Effect;
use crate::model::Node;

/// Whose erasure the manifest's `retained` section answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// A DSAR: the tables that keep some of the subject's rows (with the rule `erase.subject`).
    Subject,
    /// The tenant's deletion: every table whose rule `erase.tenant` keeps or anonymises rows.
    Tenant,
}

/// An export in progress: the counts and notes of the tables written so far.
pub struct Export<'a> {
    cipher: Option<&'a ColumnCipher>,
    erasure: Erasure,
    counts: Map<String, Value>,
    redacted: Map<String, Value>,
    encrypted: Map<String, Value>,
    retained: Map<String, Value>,
}

impl<'a> Export<'a> {
    pub fn new(cipher: Option<&'a ColumnCipher>, erasure: Erasure) -> Self {
        Self {
            cipher,
            erasure,
            counts: Map::new(),
            redacted: Map::new(),
            encrypted: Map::new(),
            retained: Map::new(),
        }
    }

    /// Writes rows already read, as they are (the tenant row of a tenant export).
    pub fn rows(
        &mut self,
        sink: &mut Sink,
        name: &str,
        columns: &[String],
        rows: &[Map<String, Value>],
    ) -> Result<()> {
        sink.begin_table(name, columns)?;
        for row in rows {
            sink.row(row)?;
        }
        sink.end_table()?;
        self.counts.insert(name.to_owned(), json!(rows.len()));
        Ok(())
    }

    /// Streams the rows `sql` selects from `node`'s table into `sink`, calling `on_row` after
    /// each (a progress bar), and returns how many there were.
    pub async fn table(
        &mut self,
        tx: &mut Tx,
        sink: &mut Sink,
        node: &Node,
        sql: &Sql,
        on_row: impl Fn(),
    ) -> Result<u64> {
        let name = node.name.as_str();
        let shaping = RowShaping::new(node, self.cipher);
        sink.begin_table(name, &shaping.columns)?;
        let mut n = 0u64;
        // Rows are read as JSON text, the database's rendering a chunk at a time where it can
        // (see `Tx::for_each_json_text`). Rows with nothing to change go to the file as they
        // are; the others (and every row of a format that needs values) are parsed and shaped.
        let as_text = shaping.is_identity() && sink.takes_text();
        let cipher = self.cipher;
        let mut written = Ok(());
        let read = tx
            .for_each_json_text(sql, &node.info, &node.key, |text| {
                let result = if as_text {
                    sink.row_text(text)
                } else {
                    serde_json::from_str::<Map<String, Value>>(text)
                        .map_err(anyhow::Error::from)
                        .and_then(|mut row| {
                            shaping.apply(name, &mut row, cipher)?;
                            sink.row(&row)
                        })
                };
                if let Err(e) = result {
                    written = Err(e);
                    anyhow::bail!("the bundle stopped taking rows");
                }
                n += 1;
                on_row();
                Ok(())
            })
            .await;
        written?;
        read.with_context(|| format!("reading {name}"))?;
        sink.end_table()?;
        self.note(node, &shaping, n);
        Ok(n)
    }

    fn note(&mut self, node: &Node, shaping: &RowShaping, n: u64) {
        let name = node.name.clone();
        self.counts.insert(name.clone(), json!(n));
        if !shaping.policy.columns.is_empty() {
            self.redacted
                .insert(name.clone(), shaping.policy.manifest());
        }
        if !node.spec.encrypted.is_empty() {
            self.encrypted.insert(
                name.clone(),
                json!({"columns": node.spec.encrypted, "decrypted": self.cipher.is_some(), "format": "base64(nonce || AES-256-GCM ciphertext || tag)"}),
            );
        }
        let (effect, listed) = match self.erasure {
            Erasure::Subject => (node.spec.erase.subject.effect(), n > 0),
            Erasure::Tenant => (node.spec.erase.tenant.effect(), true),
        };
        if effect != Effect::Delete && listed {
            self.retained.insert(
                name,
                json!({"effect": effect, "legal_basis": node.spec.legal_basis}),
            );
        }
    }

    /// Rows written per table.
    pub fn counts(&self) -> &Map<String, Value> {
        &self.counts
    }

    /// Rows written in all.
    pub fn total(&self) -> u64 {
        self.counts.values().filter_map(Value::as_u64).sum()
    }

    /// The bundle's manifest (SPEC section 5).
    pub fn manifest(&self, encrypted_bundle: bool) -> Value {
        json!({
            "row_counts": self.counts,
            "retained": self.retained,
            "redacted_columns": self.redacted,
            "encrypted_columns": self.encrypted,
            "encrypted_bundle": encrypted_bundle,
        })
    }
}
