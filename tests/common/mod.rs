//! Helpers shared by the integration tests.

use std::path::Path;

/// The seed and example corpora, as paths relative to the repository, sorted.
pub fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["models/seeds", "models/examples"] {
        let mut files: Vec<String> = std::fs::read_dir(root.join(dir))
            .expect("folder")
            .map(|e| format!("{dir}/{}", e.expect("entry").file_name().to_string_lossy()))
            .filter(|f| f.ends_with(".leash"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}
