//! Snapshots of the IR pretty-printer for a few corpus models: a change in
//! lowering (or in which steps are silent, marked `~`) shows up here.

fn ir(path: &str) -> String {
    let full = format!("{}/../../models/{path}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&full).expect("corpus model");
    match leash_ir::compile(&src) {
        Ok(p) => leash_ir::pretty(&p),
        Err(e) => panic!("{path}: {e:?}"),
    }
}

#[test]
fn timeout_unbuffered() {
    insta::assert_snapshot!(ir("seeds/timeout_unbuffered.leash"));
}

#[test]
fn worker_pool_errgroup() {
    insta::assert_snapshot!(ir("seeds/worker_pool_errgroup.leash"));
}

#[test]
fn owning_struct() {
    insta::assert_snapshot!(ir("seeds/owning_struct.leash"));
}

#[test]
fn once_waits_for_itself() {
    insta::assert_snapshot!(ir("examples/once_waits_for_itself.leash"));
}
