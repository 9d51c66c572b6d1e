//! The JSON bundle (SPEC section 5), written row by row:
//! `{"format": "privctl-bundle/1", "kind", "tenant", "generated_at", "tables": {…}, "manifest": {…}}`.

use std::io::Write;

use anyhow::Result;
use serde_json::{Map, Value, json};

/// Writes one bundle document; the manifest comes last, once the counts are known.
pub struct JsonBundle<W: Write> {
    out: W,
    tables: usize,
    rows_in_table: u64,
}

impl<W: Write> JsonBundle<W> {
    pub fn begin(mut out: W, kind: &str, tenant: Option<&str>, generated_at: &str) -> Result<Self> {
        write!(
            out,
            "{{\"format\":\"privctl-bundle/1\",\"kind\":{},\"tenant\":{},\"generated_at\":{},\"tables\":{{",
            json!(kind),
            json!(tenant),
            json!(generated_at)
        )?;
        Ok(Self {
            out,
            tables: 0,
            rows_in_table: 0,
        })
    }

    /// The writer underneath.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    pub fn begin_table(&mut self, name: &str) -> Result<()> {
        if self.tables > 0 {
            self.out.write_all(b",")?;
        }
        write!(self.out, "\n{}:[", json!(name))?;
        self.tables += 1;
        self.rows_in_table = 0;
        Ok(())
    }

    pub fn row(&mut self, row: &Map<String, Value>) -> Result<()> {
        if self.rows_in_table > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, row)?;
        self.rows_in_table += 1;
        Ok(())
    }

    /// A row already rendered as a JSON object.
    pub fn row_text(&mut self, row: &str) -> Result<()> {
        if self.rows_in_table > 0 {
            self.out.write_all(b",")?;
        }
        self.out.write_all(b"\n")?;
        self.out.write_all(row.as_bytes())?;
        self.rows_in_table += 1;
        Ok(())
    }

    pub fn end_table(&mut self) -> Result<()> {
        self.out.write_all(b"]")?;
        Ok(())
    }

    pub fn finish(mut self, manifest: &Value) -> Result<W> {
        self.out.write_all(b"},\n\"manifest\":")?;
        serde_json::to_writer(&mut self.out, manifest)?;
        self.out.write_all(b"}\n")?;
        Ok(self.out)
    }
}
