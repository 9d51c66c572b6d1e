//! `completions/` holds the generated scripts; this test keeps them current.
//! Refresh them with `PRIVCTL_BLESS=1 cargo test completions`.

use std::path::Path;

use clap_complete::Shell;

#[test]
fn completion_scripts_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("PRIVCTL_BLESS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "privctl.bash"),
        (Shell::Zsh, "_privctl"),
        (Shell::Fish, "privctl.fish"),
        (Shell::Elvish, "privctl.elv"),
        (Shell::PowerShell, "_privctl.ps1"),
    ] {
        let script = privctl::commands::completions::script(shell);
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &script).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(script.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "completions/{stale:?} differ from `privctl completions`; refresh with `PRIVCTL_BLESS=1 cargo test completions`"
    );
}
