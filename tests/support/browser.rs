//! A real browser for the pages privctl writes (`dsar export --output-format html`): headless
//! Chromium parses the page (`--dump-dom`), draws it (`--screenshot`) and prints it
//! (`--print-to-pdf`, read back with poppler's `pdftotext`). `.ci/run` installs both; a test
//! that cannot find them fails, it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first Chromium on PATH.
fn chromium() -> PathBuf {
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "chromium-headless-shell",
    ] {
        if let Some(dir) = std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .find(|dir| dir.join(name).is_file())
        {
            return dir.join(name);
        }
    }
    panic!(
        "no Chromium on PATH (chromium, chromium-browser, google-chrome or chromium-headless-shell): \
         the HTML export is tested in a real browser; `apt-get install chromium` (.ci/run does)"
    );
}

/// Runs Chromium headless on `page` with `args`, in a profile of its own under `scratch` (tests
/// run in parallel), and returns its stdout. Panics with its stderr when it fails or hangs.
fn run_chromium(page: &Path, scratch: &Path, args: &[String]) -> Vec<u8> {
    let profile = scratch.join(format!("chromium-profile-{}", rand_suffix()));
    std::fs::create_dir_all(&profile).expect("creating a Chromium profile folder");
    let url = format!(
        "file://{}",
        page.canonicalize().expect("the page exists").display()
    );
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            // Tests run as root in CI, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .env("HOME", &profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium().display()));
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waiting for Chromium").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("Chromium did not finish with {page:?} within 90 s (args {args:?})");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("Chromium's output");
    assert!(
        output.status.success(),
        "Chromium failed on {page:?} ({:?}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&profile);
    output.stdout
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The page's DOM as Chromium parsed it, serialised back to HTML.
pub fn dump_dom(page: &Path, scratch: &Path) -> String {
    let out = run_chromium(page, scratch, &["--dump-dom".to_owned()]);
    String::from_utf8(out).expect("Chromium's DOM is UTF-8")
}

/// Draws the page in a `width`×`height` window into `png`.
pub fn screenshot(page: &Path, scratch: &Path, png: &Path, width: u32, height: u32) {
    run_chromium(
        page,
        scratch,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
    );
    assert!(png.is_file(), "Chromium wrote no screenshot at {png:?}");
}

/// Prints the page to PDF (A4/Letter as Chromium defaults, print styles on) and returns the
/// printed text, page by page (pdftotext separates pages with a form feed).
pub fn printed_text(page: &Path, scratch: &Path) -> Vec<String> {
    let pdf = scratch.join(format!("printed-{}.pdf", rand_suffix()));
    run_chromium(
        page,
        scratch,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_owned(),
        ],
    );
    assert!(pdf.is_file(), "Chromium printed no PDF at {pdf:?}");
    let output = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run pdftotext ({e}): `apt-get install poppler-utils` (.ci/run does)")
        });
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// A PNG's width and height, from its IHDR chunk (panics when the file is not a PNG).
pub fn png_size(png: &Path) -> (u32, u32) {
    let bytes = std::fs::read(png).expect("reading the screenshot");
    assert_eq!(
        bytes.get(..8),
        Some(&b"\x89PNG\r\n\x1a\n"[..]),
        "{png:?} is not a PNG"
    );
    assert_eq!(
        bytes.get(12..16),
        Some(&b"IHDR"[..]),
        "{png:?}: no IHDR chunk"
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}
