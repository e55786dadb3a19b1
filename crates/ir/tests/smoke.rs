#[test]
fn smoke() {
    let src = r#"
var count: int[0..3] = 0
task main() {
    let ctx = signal()
    let out = chan(1)
    let mu = mutex()
    var flag = false
    spawn compute(out, ctx, flag)
    select {
        recv out as (v, ok) => { if !ok { return } }
        recv ctx.done => {}
        after => {}
    }
    mu.lock()
    defer mu.unlock()
    for i in 0..3 { count = i }
}
task compute(out, ctx, flag) {
    let r = work expensive(ctx)
    if r == err { return err }
    flag = true
    send out, :done
}
"#;
    match leash_ir::compile(src) {
        Ok(p) => println!("{}", leash_ir::pretty(&p)),
        Err(e) => panic!("{e:#?}"),
    }
}
