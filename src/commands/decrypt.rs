//! `privctl decrypt`: reverse `--encrypt`. Plaintext reaches OUTPUT only when every segment
//! authenticated; on any failure no output file exists.

use std::path::PathBuf;

use anyhow::{Context as _, Result};

use super::Context;
use crate::bundle::{KeyMaterial, OutputFile, decrypt};
use crate::error::Failure;
use crate::report::export::Decrypted;

/// Decrypt a bundle written with --encrypt
#[derive(Debug, clap::Args)]
pub struct Args {
    /// File with the 32-byte key (raw, base64 or hex)
    #[arg(
        long,
        value_name = "F",
        conflicts_with = "passphrase_env",
        required_unless_present = "passphrase_env"
    )]
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the passphrase
    #[arg(long, value_name = "VAR")]
    pub passphrase_env: Option<String>,
    /// Replace OUTPUT if it exists
    #[arg(long)]
    pub force: bool,
    /// The encrypted bundle
    pub input: PathBuf,
    /// Where to write the plaintext (mode 0600)
    pub output: PathBuf,
}

pub async fn run(ctx: &Context, args: Args) -> Result<()> {
    let key = match (&args.key_file, &args.passphrase_env) {
        (Some(file), _) => KeyMaterial::from_key_file(file)?,
        (None, Some(var)) => KeyMaterial::from_env(var)?,
        (None, None) => {
            return Err(Failure::usage("give --key-file F or --passphrase-env VAR").into());
        }
    };
    let input = std::fs::File::open(&args.input)
        .with_context(|| format!("opening {}", args.input.display()))?;
    let mut output = OutputFile::create(&args.output, args.force, None)?;
    crate::session::report_leftovers(ctx, output.leftovers_removed());
    // On error `output` is dropped unfinished: its partial file is removed.
    let bytes = decrypt(
        std::io::BufReader::with_capacity(256 * 1024, input),
        &mut output,
        &key,
    )
    .with_context(|| format!("decrypting {}", args.input.display()))?;
    let sha256 = output.seal()?.move_into_place()?.sha256;
    if ctx.ui.is_json() {
        ctx.ui.json(&Decrypted {
            output: &args.output,
            bytes,
            sha256: &sha256,
        })?;
    } else {
        ctx.ui.line(&format!(
            "decrypted {bytes} bytes to {}",
            args.output.display()
        ))?;
    }
    Ok(())
}
