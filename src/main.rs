//! The `leash` command: a thin shell over the library. Exit codes: 0 all
//! verified (or all tests passed), 1 a violation, an incomplete search or a
//! failed test, 2 bad input or usage.

mod cli;

use std::process::ExitCode;

/// The search allocates and frees a copy of the state per transition, on
/// several threads: mimalloc does that faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("leash: {e}");
            ExitCode::from(2)
        }
    }
}
