//! Any bytes, read as text: parsing, lowering to IR and rendering the
//! diagnostics never panic, and every diagnostic points inside the text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (_, errors) = leash_syntax::parse(&text);
    let mut diagnostics = errors;
    if let Err(more) = leash_ir::compile(&text) {
        diagnostics.extend(more);
    }
    for d in &diagnostics {
        for span in std::iter::once(d.span).chain(d.notes.iter().map(|n| n.span)) {
            assert!(span.start <= span.end && span.end as usize <= text.len(), "{} at {span:?}", d.code);
        }
    }
    if let Err(bad) = leash::compile("fuzz.leash", &text) {
        let _ = bad.render();
    }
});
