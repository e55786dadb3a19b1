//! Snapshot tests of rendered diagnostics: one tiny malformed model per error
//! kind. Each snapshot shows the code, the message, `file:line:col`, the source
//! line with a caret under the span, and the hint.

/// Compiles `src` as `model.leash` and renders its diagnostics; panics if it compiles.
fn render(src: &str) -> String {
    match leash::compile("model.leash", src) {
        Ok(_) => panic!("expected the model to be rejected:\n{src}"),
        Err(bad) => bad.render(),
    }
}

// ---- lexer and parser (E00xx) ---------------------------------------------

#[test]
fn e0001_unexpected_character() {
    insta::assert_snapshot!(render("task main() {\n    @\n}\n"));
}

#[test]
fn e0001_unexpected_character_after_expression() {
    insta::assert_snapshot!(render("task main() {\n    var x = 1 $\n}\n"));
}

#[test]
fn e0002_expected_found() {
    insta::assert_snapshot!(render("task main() {\n    let = 3\n}\n"));
}

#[test]
fn e0002_missing_end_of_statement() {
    insta::assert_snapshot!(render("task main() {\n    var x = 1 2\n}\n"));
}

#[test]
fn e0003_nesting_too_deep() {
    let src = format!("task main() {{\n    var x = {}1{}\n}}\n", "(".repeat(101), ")".repeat(101));
    insta::assert_snapshot!(render(&src));
}

#[test]
fn e0004_not_a_declaration() {
    insta::assert_snapshot!(render("let x = 1\ntask main() {}\n"));
}

#[test]
fn e0004_typo_did_you_mean_task() {
    insta::assert_snapshot!(render("tsak main() {}\n"));
}

#[test]
fn e0005_unclosed_block() {
    insta::assert_snapshot!(render("task main() {\n    var x = 1\n"));
}

#[test]
fn e0006_unknown_statement_did_you_mean_send() {
    insta::assert_snapshot!(render("task main() {\n    let out = chan(1)\n    sned out\n}\n"));
}

#[test]
fn e0007_else_without_if() {
    insta::assert_snapshot!(render("task main() {\n    else {}\n}\n"));
}

#[test]
fn e0007_or_without_choose() {
    insta::assert_snapshot!(render("task main() {\n    or {}\n}\n"));
}

#[test]
fn e0008_bad_select_case() {
    insta::assert_snapshot!(render(
        "task main() {\n    let ch = chan(0)\n    select {\n        close(ch) => {}\n    }\n}\n"
    ));
}

#[test]
fn e0009_number_too_large() {
    insta::assert_snapshot!(render("task main() {\n    var x = 99999999999999999999\n}\n"));
}

#[test]
fn e0010_malformed_expect_line() {
    insta::assert_snapshot!(render("// expect[cancel] verified\ntask main() {}\n"));
}

#[test]
fn e0010_empty_expect_line() {
    insta::assert_snapshot!(render("// expect:\ntask main() {}\n"));
}

#[test]
fn e0010_unclosed_scenario_in_expect_line() {
    insta::assert_snapshot!(render("// expect[cancel: verified\ntask main() {}\n"));
}

#[test]
fn ordinary_comment_starting_with_expect_is_not_an_expect_line() {
    // Only `// expect:` and `// expect[...]` are expect lines; prose is left alone.
    assert!(leash::compile("model.leash", "// expected to finish quickly\ntask main() {}\n").is_ok());
}

#[test]
fn e0011_keyword_used_as_a_name() {
    insta::assert_snapshot!(render("task main() {\n    let t = spawn w()\n    t.join()\n}\ntask w() {}\n"));
}

#[test]
fn e0011_keyword_as_variable_name() {
    insta::assert_snapshot!(render("task main() {\n    let send = chan(1)\n}\n"));
}

// ---- lowering (E01xx) -----------------------------------------------------

#[test]
fn e0101_declared_twice() {
    insta::assert_snapshot!(render("const N = 1\nconst N = 2\ntask main() {}\n"));
}

#[test]
fn e0102_unknown_type() {
    insta::assert_snapshot!(render("var x: itn = 0\ntask main() {}\n"));
}

#[test]
fn e0103_bad_range() {
    insta::assert_snapshot!(render("var x: int[3..1] = 0\ntask main() {}\n"));
}

#[test]
fn e0103_range_on_non_int() {
    insta::assert_snapshot!(render("var b: bool[0..1] = true\ntask main() {}\n"));
}

#[test]
fn e0104_constant_does_not_fit() {
    insta::assert_snapshot!(render("task main() {\n    var x = 40000\n}\n"));
}

#[test]
fn e0104_range_bound_does_not_fit() {
    insta::assert_snapshot!(render("var x: int[0..40000] = 0\ntask main() {}\n"));
}

#[test]
fn e0105_non_constant_for_bound() {
    insta::assert_snapshot!(render("task main() {\n    let n = 3\n    for i in 0..n {}\n}\n"));
}

#[test]
fn e0106_kind_mismatch_in_assignment() {
    insta::assert_snapshot!(render("var x: int[0..3] = 0\ntask main() {\n    x = true\n}\n"));
}

#[test]
fn e0106_kind_mismatch_in_comparison() {
    insta::assert_snapshot!(render("var x: int[0..3] = 0\ntask main() {\n    if x == :done {}\n}\n"));
}

#[test]
fn e0107_send_on_mutex() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    send mu, 1\n}\n"));
}

#[test]
fn e0107_lock_on_channel() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(0)\n    ch.lock()\n}\n"));
}

#[test]
fn e0107_len_of_a_mutex_names_what_len_counts() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    let n = len(mu)\n}\n"));
}

#[test]
fn e0110_a_method_of_the_language_gives_one_result() {
    insta::assert_snapshot!(render(
        "task main() {\n    let ctx = background()\n    let (a, b) = ctx.err()\n}\n"
    ));
}

#[test]
fn e0106_nil_is_no_ticker() {
    insta::assert_snapshot!(render(
        "task main() {\n    let tc = nil\n    let t = ticker()\n    tc = t\n    stop(t)\n}\n"
    ));
}

#[test]
fn e0107_recv_on_mutex() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    let v = recv mu\n}\n"));
}

#[test]
fn e0108_duplicate_parameter() {
    insta::assert_snapshot!(render("task main() {}\ntask worker(a, a) {}\n"));
}

#[test]
fn e0109_unreachable_after_return() {
    insta::assert_snapshot!(render("task main() {\n    return\n    sleep\n}\n"));
}

#[test]
fn e0110_pair_pattern_without_recv() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(1)\n    let (v, ok) = ch\n}\n"));
}

#[test]
fn e0111_nested_defer() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(1)\n    defer defer close(ch)\n}\n"));
}

#[test]
fn e0112_return_inside_defer() {
    insta::assert_snapshot!(render("task main() {\n    defer return\n}\n"));
}

#[test]
fn e0112_try_inside_defer() {
    insta::assert_snapshot!(render("task main() {\n    defer work fetch?\n}\n"));
}

#[test]
fn e0113_break_outside_loop() {
    insta::assert_snapshot!(render("task main() {\n    break\n}\n"));
}

#[test]
fn e0114_two_defaults_in_select() {
    insta::assert_snapshot!(render(
        "task main() {\n    select {\n        default => {}\n        default => {}\n    }\n}\n"
    ));
}

#[test]
fn e0115_assign_to_non_variable() {
    insta::assert_snapshot!(render("task main() {\n    var x = 0\n    x + 1 = 2\n}\n"));
}

#[test]
fn e0115_assign_to_constant() {
    insta::assert_snapshot!(render("const N = 1\ntask main() {\n    N = 2\n}\n"));
}

#[test]
fn e0116_expression_does_nothing() {
    insta::assert_snapshot!(render("task main() {\n    var x = 0\n    x + 1\n}\n"));
}

#[test]
fn e0116_method_returns_nothing() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    let r = mu.unlock()\n}\n"));
}

#[test]
fn e0117_wrong_arity() {
    insta::assert_snapshot!(render("fn helper(a) {}\ntask main() {\n    helper(1, 2)\n}\n"));
}

#[test]
fn e0117_wrong_arity_builtin() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(0)\n    close(ch, ch)\n}\n"));
}

#[test]
fn e0118_unknown_task_in_spawn() {
    insta::assert_snapshot!(render("task main() {\n    spawn wroker()\n}\ntask worker() {}\n"));
}

#[test]
fn e0119_spawning_a_helper() {
    insta::assert_snapshot!(render("fn helper() {}\ntask main() {\n    spawn helper()\n}\n"));
}

#[test]
fn e0119_calling_a_task() {
    insta::assert_snapshot!(render("task worker() {}\ntask main() {\n    worker()\n}\n"));
}

#[test]
fn e0120_main_with_params() {
    insta::assert_snapshot!(render("task main(ch) {}\n"));
}

#[test]
fn e0121_no_main() {
    insta::assert_snapshot!(render("task worker() {}\n"));
}

#[test]
fn e0122_channel_capacity_out_of_range() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(17)\n}\n"));
}

#[test]
fn e0123_unknown_method() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    mu.lokc()\n}\n"));
}

#[test]
fn e0124_task_used_as_value() {
    insta::assert_snapshot!(render("task main() {\n    let t = worker\n}\ntask worker() {}\n"));
}

#[test]
fn e0125_undefined_name() {
    insta::assert_snapshot!(render("task main() {\n    let out = chan(1)\n    send otu, 1\n}\n"));
}

#[test]
fn e0126_unknown_field() {
    insta::assert_snapshot!(render("task main() {\n    let ctx = signal()\n    let d = ctx.dnoe\n}\n"));
}

#[test]
fn e0127_effect_nested_in_expression() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(1)\n    if recv ch == 1 {}\n}\n"));
}

#[test]
fn e0128_unknown_kind_of_param() {
    insta::assert_snapshot!(render("task main() {}\ntask worker(mu) {\n    mu.lock()\n}\n"));
}

#[test]
fn e0130_recursive_helpers() {
    insta::assert_snapshot!(render(
        "fn f() {\n    g()\n}\nfn g() {\n    f()\n}\ntask main() {\n    f()\n}\n"
    ));
}

#[test]
fn e0131_bare_return_in_value_helper() {
    insta::assert_snapshot!(render(
        "fn f(x) {\n    if x == 0 {\n        return\n    }\n    return 1\n}\ntask main() {\n    let y = f(1)\n}\n"
    ));
}

#[test]
fn e0132_parameter_with_range() {
    insta::assert_snapshot!(render("task main() {}\ntask worker(n: int[0..3]) {}\n"));
}

#[test]
fn e0125_undefined_constant_in_a_bound() {
    insta::assert_snapshot!(render("const WORKERS = 3\ntask main() {\n    for i in 0..WORKER {}\n}\n"));
}

#[test]
fn e0013_assignment_in_a_condition() {
    insta::assert_snapshot!(render("task main() {\n    let x = 1\n    if x = 1 {}\n}\n"));
}

#[test]
fn e0006_close_without_parentheses() {
    insta::assert_snapshot!(render("task main() {\n    let ch = chan(0)\n    close ch\n}\n"));
}

#[test]
fn e0126_method_used_as_field() {
    insta::assert_snapshot!(render("task main() {\n    let mu = mutex()\n    mu.lock\n}\n"));
}

#[test]
fn e0133_function_too_large() {
    let body = "    yield\n".repeat(66_000);
    let rendered = render(&format!("task main() {{\n{body}}}\n"));
    assert!(
        rendered.contains("error[E0133]: `main` is too large"),
        "{}",
        &rendered[..rendered.len().min(400)]
    );
}

#[test]
fn e0141_anonymous_task_captures_loop_variable() {
    insta::assert_snapshot!(render(
        "task main() {\n    for i in 0..2 {\n        spawn {\n            let id = i\n        }\n    }\n}\n"
    ));
}

#[test]
fn e0142_helper_named_like_a_builtin() {
    insta::assert_snapshot!(render(
        "fn stop(w) {\n    send w, :stop\n}\ntask main() {\n    let w = chan(1)\n    stop(w)\n}\n"
    ));
}

#[test]
fn e0142_task_named_like_a_constructor() {
    insta::assert_snapshot!(render("task main() {\n    spawn ticker()\n}\ntask ticker() {}\n"));
}

#[test]
fn e0144_method_on_a_kind_that_is_not_a_struct() {
    insta::assert_snapshot!(render("fn (c: chan) drain() {\n    recv c\n}\ntask main() {}\n"));
}

#[test]
fn e0144_field_shared_by_two_structs_needs_a_type() {
    insta::assert_snapshot!(render(
        "struct A {\n    out: chan\n}\nstruct B {\n    out: chan\n}\ntask w(x) {\n    close(x.out)\n}\ntask main() {\n    let a = A {}\n    spawn w(a)\n}\n"
    ));
}

#[test]
fn e0145_unknown_struct_did_you_mean() {
    insta::assert_snapshot!(render(
        "struct Worker {\n    done: chan\n}\ntask main() {\n    let w = Workr { done: chan(0) }\n}\n"
    ));
}

#[test]
fn e0146_left_out_field_without_zero_value() {
    insta::assert_snapshot!(render(
        "struct Worker {\n    done\n    mu: mutex\n}\ntask main() {\n    let w = Worker { mu: mutex() }\n}\n"
    ));
}

#[test]
fn e0126_struct_has_no_such_field() {
    insta::assert_snapshot!(render(
        "struct Worker {\n    done: chan\n}\ntask main() {\n    let w = Worker {}\n    close(w.dnoe)\n}\n"
    ));
}

#[test]
fn e0123_struct_has_no_such_method() {
    insta::assert_snapshot!(render("struct Worker {\n    done: chan\n}\nfn (w: Worker) stop() {\n    close(w.done)\n}\ntask main() {\n    let w = Worker {}\n    w.stpo()\n}\n"));
}

#[test]
fn e0143_returns_give_different_numbers_of_results() {
    insta::assert_snapshot!(render(
        "fn fetch(ctx) {\n    let r = work get(ctx)\n    if r == err {\n        return (0, err)\n    }\n    return 1\n}\ntask main() {\n    let (v, e) = fetch(background())\n}\n"
    ));
}

#[test]
fn e0143_a_call_binds_the_wrong_number_of_results() {
    insta::assert_snapshot!(render(
        "fn fetch() {\n    return (1, ok)\n}\ntask main() {\n    let v = fetch()\n}\n"
    ));
}

#[test]
fn e0143_two_results_must_be_returned_on_every_path() {
    insta::assert_snapshot!(render(
        "fn fetch(c) {\n    if c {\n        return (1, ok)\n    }\n}\ntask main() {\n    let (v, e) = fetch(true)\n}\n"
    ));
}

#[test]
fn e0118_a_go_constructor_gets_its_leash_spelling() {
    let out = render("task main() {\n    let g = errgroup(background())\n}\n");
    assert!(out.contains("leash writes it `group(ctx)`"), "{out}");
}

// ---- recovery, Go habits, did-you-mean (issue 15) ---------------------------

/// Renders the diagnostics of `src` and checks how many errors there are.
fn render_n(src: &str, errors: usize) -> String {
    let out = render(src);
    assert_eq!(out.matches("error[").count(), errors, "{out}");
    out
}

#[test]
fn e0005_one_missing_brace_in_a_select_is_one_error_at_that_select() {
    let src = "task main() {\n    let ch = chan(1)\n    spawn worker(ch)\n    select {\n        recv ch => {}\n        after => {}\n}\n\ntask worker(ch) {\n    send ch\n}\n";
    let out = render_n(src, 1);
    assert!(out.contains("model.leash:4:12"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn e0005_a_missing_brace_in_a_nested_if_points_at_the_if() {
    let src =
        "task main() {\n    loop {\n        if true {\n            yield\n    }\n}\n\ntask other() {\n}\n";
    let out = render_n(src, 1);
    assert!(out.contains("model.leash:3:17"), "{out}");
}

#[test]
fn a_declaration_inside_a_closed_block_is_not_a_missing_brace() {
    let out = render("task main() {\n    const N = 1\n    yield\n}\n");
    assert!(!out.contains("E0005"), "{out}");
    assert!(out.contains("model.leash:2:5"), "{out}");
}

#[test]
fn e0014_go_short_declaration_and_make() {
    insta::assert_snapshot!(render_n("task main() {\n    ch := make(chan int)\n    send ch\n}\n", 2));
}

#[test]
fn e0014_go_make_with_a_capacity() {
    let out = render_n("task main() {\n    let ch = make(chan int, 3)\n    send ch\n}\n", 1);
    assert!(out.contains("`chan(3)`"), "{out}");
}

#[test]
fn e0014_go_send_and_receive() {
    insta::assert_snapshot!(render_n(
        "task main() {\n    let ch = chan(1)\n    ch <- 1\n    let v = <-ch\n}\n",
        2
    ));
}

#[test]
fn e0014_go_endless_for() {
    insta::assert_snapshot!(render_n("task main() {\n    for {\n        yield\n    }\n}\n", 1));
}

#[test]
fn e0002_go_for_on_a_condition() {
    insta::assert_snapshot!(render_n(
        "task main() {\n    var n = 0\n    for n < 3 {\n        n = n + 1\n    }\n}\n",
        1
    ));
}

#[test]
fn e0006_go_statement_is_spawn() {
    insta::assert_snapshot!(render_n(
        "task main() {\n    let ch = chan(1)\n    go worker(ch)\n}\n\ntask worker(ch) {\n    send ch\n}\n",
        1
    ));
}

#[test]
fn e0004_go_func() {
    insta::assert_snapshot!(render_n("func main() {\n}\n", 1));
}

#[test]
fn e0004_go_func_is_read_as_a_task() {
    let out = render_n(
        "task main() {\n    let ch = chan(1)\n    spawn worker(ch)\n}\n\nfunc worker(ch) {\n    send ch\n}\n",
        1,
    );
    assert!(out.contains("found `func`"), "{out}");
}

#[test]
fn e0118_a_spawn_suggests_tasks_only() {
    let out = render("task main() {\n    spawn worke()\n}\ntask worker() {}\n");
    assert!(out.contains("did you mean `worker`?"), "{out}");
    let out = render("task main() {\n    spawn wrok()\n}\n");
    assert!(!out.contains("did you mean `work`?"), "a keyword cannot be spawned: {out}");
}

#[test]
fn e0006_recieve_did_you_mean_recv() {
    insta::assert_snapshot!(render_n("task main() {\n    let ch = chan(1)\n    recieve ch\n}\n", 1));
}

#[test]
fn e0010_unknown_verdict_did_you_mean() {
    insta::assert_snapshot!(render_n("// expect: leek compute\ntask main() {}\n", 1));
}

#[test]
fn e0010_unknown_scenario_did_you_mean() {
    insta::assert_snapshot!(render_n("// expect[cancle]: verified\ntask main() {}\n", 1));
}

#[test]
fn e0011_a_keyword_field_name_is_one_error_and_the_struct_still_stands() {
    let src =
        "struct Box {\n    in: chan\n    n: int\n}\n\ntask main() {\n    let b = Box {}\n    b.n = 1\n}\n";
    let out = render_n(src, 1);
    assert!(out.contains("error[E0011]") && out.contains("model.leash:2:5"), "{out}");
}

#[test]
fn a_function_field_may_be_declared_fn_and_starts_nil() {
    let source = "struct Lessor {\n    cp: fn\n}\n\ntask main() {\n    let le = Lessor {}\n    if le.cp != nil {\n        le.cp()\n    }\n}\n";
    if let Err(e) = leash::compile("model.leash", source) {
        panic!("`cp: fn` is a function field:\n{}", e.render());
    }
}

#[test]
fn e0107_an_expression_operand_is_named_by_its_text() {
    let out = render("task main() {\n    let ch = chan(1)\n    let v = recv ch + 1\n}\n");
    assert!(!out.contains("`this`"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn diagnostics_in_colour_only_when_asked() {
    let bad = leash::compile("model.leash", "task main() {\n    sned ch\n}\n").unwrap_err();
    assert!(!bad.render().contains('\u{1b}'));
    let coloured = bad.render_in_colour();
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert!(coloured.contains("E0006"));
}

// ---- docs/errors.md ---------------------------------------------------------

/// The `## CODE: title` sections of docs/errors.md, with their first ```leash example.
fn error_pages() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md"))
        .expect("docs/errors.md");
    text.split("\n## ")
        .skip(1)
        .map(|section| {
            let code = section.split(':').next().unwrap_or_default().to_string();
            let example =
                section.split("```leash\n").nth(1).and_then(|b| b.split("```").next()).map(str::to_string);
            (code, example)
        })
        .collect()
}

#[test]
fn every_error_code_in_the_source_is_documented() {
    let documented: Vec<String> = error_pages().into_iter().map(|(c, _)| c).collect();
    let mut used = std::collections::BTreeSet::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("src"), root.join("crates")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for (i, _) in text.match_indices("\"E0") {
                    let code = &text[i + 1..(i + 6).min(text.len())];
                    if code.len() == 5 && code[1..].chars().all(|c| c.is_ascii_digit()) {
                        used.insert(code.to_string());
                    }
                }
            }
        }
    }
    assert!(used.len() >= 45, "found only {} codes", used.len());
    for code in &used {
        assert!(documented.contains(code), "{code} is not in docs/errors.md");
    }
}

#[test]
fn every_example_of_docs_errors_gives_its_code() {
    let mut checked = 0;
    for (code, example) in error_pages() {
        let Some(example) = example else { continue };
        let bad = leash::compile("example.leash", &example)
            .err()
            .unwrap_or_else(|| panic!("the example of {code} compiles:\n{example}"));
        assert!(
            bad.diagnostics.iter().any(|d| d.code == code),
            "the example of {code} gives other codes:\n{}",
            bad.render()
        );
        checked += 1;
    }
    assert!(checked >= 45, "only {checked} examples");
}

#[test]
fn e0141_function_value_captures_a_loop_variable() {
    insta::assert_snapshot!(render(
        "task main() {\n    for i in 0..2 {\n        let f = fn() {\n            return i\n        }\n    }\n}\n"
    ));
}

#[test]
fn e0147_map_keyed_by_task_handles() {
    insta::assert_snapshot!(render(
        "task main() {\n    let seen = map()\n    let t = spawn w()\n    seen[t] = true\n    join t\n}\ntask w() {}\n"
    ));
}

#[test]
fn e0148_a_duration_other_than_short() {
    insta::assert_snapshot!(render(
        "task main() {\n    let t = ticker(10)\n    defer stop(t)\n    recv t\n}\n"
    ));
}

#[test]
fn e0106_an_untyped_parameter_guessed_a_map() {
    insta::assert_snapshot!(render_n(
        "fn backlog(c) {\n    return len(c)\n}\n\ntask main() {\n    let q = chan(2)\n    let n = backlog(q)\n}\n",
        1
    ));
}

#[test]
fn e0106_an_untyped_method_parameter_is_named_past_the_receiver() {
    let out = render_n(
        "struct Q {\n    n: int\n}\n\nfn (q: Q) backlog(c) {\n    return len(c)\n}\n\ntask main() {\n    let q = Q { n: 0 }\n    let ch = chan(1)\n    let n = q.backlog(ch)\n}\n",
        1,
    );
    assert!(out.contains("`c` has no type"), "{out}");
}
