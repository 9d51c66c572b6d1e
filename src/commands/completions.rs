//! `privctl completions SHELL`: print a completion script.

use anyhow::Result;
use clap::CommandFactory as _;

use super::Context;

/// Print a completion script (bash, zsh, fish, elvish, powershell)
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    ctx.ui.raw(&script(args.shell))?;
    Ok(())
}

/// The script for `shell`, as `privctl completions` prints it.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::Cli::command(), "privctl", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}
