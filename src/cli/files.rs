//! Turning command-line paths into models: files as given, folders searched
//! recursively for `*.leash` in sorted order, `-` for standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One model named on the command line.
pub enum Input {
    /// `-`: the model text on standard input.
    Stdin,
    /// A model file.
    File(PathBuf),
}

impl Input {
    /// The name used in messages and reports: the path as given, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    /// A file-name stem for pictures: the file's stem, or `stdin`.
    pub fn stem(&self) -> String {
        match self {
            Input::Stdin => "stdin".to_string(),
            Input::File(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        }
    }

    /// The model text.
    pub fn read(&self) -> Result<String, String> {
        match self {
            Input::Stdin => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| format!("cannot read standard input: {e}"))?;
                Ok(text)
            }
            Input::File(p) => read(p),
        }
    }
}

/// The models named by `paths`, or a usage error; `-` (at most once) is
/// standard input.
pub fn models(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err("`-` (standard input) can be given only once".into());
    }
    let mut out = Vec::new();
    for p in paths {
        if is_stdin(p) {
            out.push(Input::Stdin);
        } else {
            out.extend(leash::model_files(&[p]).map_err(|e| e.to_string())?.into_iter().map(Input::File));
        }
    }
    Ok(out)
}

/// One model: a file, or `-` for standard input.
pub fn model(path: &Path) -> Input {
    if is_stdin(path) {
        Input::Stdin
    } else {
        Input::File(path.to_path_buf())
    }
}

fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Reads a model file as text.
pub fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Peak resident memory of this process in bytes (Linux), if known.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
