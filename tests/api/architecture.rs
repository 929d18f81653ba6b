//! The layering the code relies on: domains and the infrastructure below them
//! never reach up into the transports or the composition root. A file that
//! did would bring back the import cycle through `AppState`.

use std::path::{Path, PathBuf};

/// Folders and files below the API: they take their dependencies explicitly.
const BELOW_THE_API: &[&str] = &[
    "auth", "tickets", "db", "upstream", "config", "mail", "pipeline", "export", "changes",
    "limits", "outbox", "ids.rs", "tls.rs", "error.rs",
];
const UPWARD: &[&str] = &[
    "crate::state",
    "crate::startup",
    "crate::graphql",
    "crate::http",
];
/// The configuration knows no domain: domains read their section of it.
const DOMAINS: &[&str] = &[
    "crate::auth",
    "crate::tickets",
    "crate::pipeline",
    "crate::export",
    "crate::upstream",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// `(file, line)` of every use of one of `paths` under `roots`.
fn uses(roots: &[&str], paths: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for root in roots {
        rust_files(&src.join(root), &mut files);
    }
    assert!(!files.is_empty(), "found no sources under {roots:?}");
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if paths.iter().any(|p| code.contains(p)) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn domains_never_import_the_transports_or_the_composition_root() {
    let upward = uses(BELOW_THE_API, UPWARD);
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn the_configuration_imports_no_domain() {
    let found = uses(&["config"], DOMAINS);
    assert!(
        found.is_empty(),
        "config imports a domain:\n{}",
        found.join("\n")
    );
}
