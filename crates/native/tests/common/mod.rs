//! What the native prover's integration tests share.

use std::path::{Path, PathBuf};

/// Every `.leash` file under `dir`, in sorted order, depth first.
pub fn models(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("models folder").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            models(&p, out);
        } else if p.extension().is_some_and(|e| e == "leash") {
            out.push(p);
        }
    }
}
