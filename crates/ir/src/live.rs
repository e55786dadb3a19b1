//! Which locals are dead at each instruction: a local is live at `pc` if some
//! path from `pc` reads it before writing it, and dead otherwise. The
//! semantics resets dead locals in its canonical form, so that states that
//! differ only in values nobody will read again are one state.
//!
//! A backward dataflow over each function's flat code. Every read counts,
//! explicit or not: operands and the slot behind a store through a reference
//! (`x = v` where `x` holds a `var`). A task's parameters that may hold a
//! context are its *scope* (the work-after-cancel warning looks at them), so
//! they are never dead. Control flow is over-approximated where it is dynamic: a `return`
//! or the end of a deferred block may go on to any deferred block of the
//! function, whether registered on the path or not, and so may any
//! instruction of a function with deferred blocks, as a panic runs them.
//! Over-approximating keeps more locals live, never fewer.

use crate::{Callee, CaseKind, Ctor, Expr, Func, Instr, Place, Program};

/// Fills in [`Func::dead`] and [`Func::dead_in_call`] for every function.
/// `ref_slots[f][slot]` says whether a local may hold a reference to a shared
/// cell; `ctx_slots[f][slot]` whether it may hold a context.
pub(crate) fn mark(program: &mut Program, ref_slots: &[Vec<bool>], ctx_slots: &[Vec<bool>]) {
    for (id, func) in program.funcs.iter_mut().enumerate() {
        let flag = |table: &[Vec<bool>], slot: usize| table.get(id).and_then(|t| t.get(slot)).copied();
        // Unknown slots are treated as the worst case: references and contexts.
        let is_ref = |slot: u16| flag(ref_slots, slot as usize).unwrap_or(true);
        let scope = |slot: &u16| {
            func.is_task && *slot < func.params && flag(ctx_slots, *slot as usize).unwrap_or(true)
        };
        let (mut dead, mut dead_in_call) = analyse(func, &is_ref);
        for set in dead.iter_mut().chain(dead_in_call.iter_mut()) {
            // The results after the first are read when the frame is popped,
            // after its defers: they are never dead.
            set.retain(|slot| !scope(slot) && !func.results.contains(slot));
        }
        func.dead = dead;
        func.dead_in_call = dead_in_call;
    }
}

/// A set of local slots.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Set(Vec<u64>);

impl Set {
    fn new(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }

    fn insert(&mut self, i: u16) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }

    fn remove(&mut self, i: u16) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w &= !(1 << (i % 64));
        }
    }

    fn contains(&self, i: u16) -> bool {
        self.0.get(i as usize / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn union_with(&mut self, other: &Set) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// The slots below `n` that are not in the set.
    fn complement(&self, n: usize) -> Vec<u16> {
        (0..n as u16).filter(|&i| !self.contains(i)).collect()
    }
}

/// What one instruction reads, and where control may go next (leaving the
/// function reads nothing), with the locals written on the way.
struct Flow {
    uses: Vec<u16>,
    next: Vec<(usize, Vec<u16>)>,
}

/// The dead locals of `func` before each instruction, and while waiting in each call.
fn analyse(func: &Func, is_ref: &dyn Fn(u16) -> bool) -> (Vec<Vec<u16>>, Vec<Vec<u16>>) {
    let n = func.locals.len();
    let blocks: Vec<usize> = func
        .code
        .iter()
        .filter_map(|i| match i {
            Instr::Defer { block, .. } => Some(*block as usize),
            _ => None,
        })
        .collect();
    // A panic may come at any instruction (or in a callee) and runs the
    // deferred blocks: in a function with some, every instruction may go on
    // to any of them.
    let panics = |mut f: Flow| {
        f.next.extend(blocks.iter().map(|&b| (b, Vec::new())));
        f
    };
    let flows: Vec<Flow> =
        func.code.iter().enumerate().map(|(pc, i)| panics(flow(i, pc, &blocks, is_ref))).collect();
    let mut live = vec![Set::new(n); func.code.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..func.code.len()).rev() {
            let set = live_before(&flows[pc], &live, n);
            if set != live[pc] {
                live[pc] = set;
                changed = true;
            }
        }
    }
    let dead = live.iter().map(|s| s.complement(n)).collect();
    let dead_in_call = func
        .code
        .iter()
        .enumerate()
        .map(|(pc, i)| match i {
            Instr::Call { dst, rest, .. } => {
                // Back from the callee: the results are stored, then the next instruction runs.
                let (mut uses, mut defs) = place_flow(dst.as_ref(), is_ref);
                for r in rest {
                    let (u, d) = place_flow(Some(r), is_ref);
                    uses.extend(u);
                    defs.extend(d);
                }
                let resume = panics(Flow { uses, next: vec![(pc + 1, defs)] });
                live_before(&resume, &live, n).complement(n)
            }
            _ => Vec::new(),
        })
        .collect();
    (dead, dead_in_call)
}

/// The live set before an instruction, given the live sets of the others.
fn live_before(f: &Flow, live: &[Set], n: usize) -> Set {
    let mut set = Set::new(n);
    for (pc, defs) in &f.next {
        let Some(after) = live.get(*pc) else { continue };
        let mut after = after.clone();
        defs.iter().for_each(|&d| after.remove(d));
        set.union_with(&after);
    }
    f.uses.iter().for_each(|&u| set.insert(u));
    set
}

fn flow(instr: &Instr, pc: usize, blocks: &[usize], is_ref: &dyn Fn(u16) -> bool) -> Flow {
    let mut uses = Vec::new();
    let step = |defs: Vec<u16>| vec![(pc + 1, defs)];
    let returning = || blocks.iter().map(|&b| (b, Vec::new())).collect();
    let next = match instr {
        Instr::Assign { dst, value } => {
            expr_uses(value, &mut uses);
            step(place(Some(dst), is_ref, &mut uses))
        }
        Instr::New { dst, ctor } => {
            ctor_uses(ctor, &mut uses);
            step(place(Some(dst), is_ref, &mut uses))
        }
        Instr::Send { chan, value } => {
            expr_uses(chan, &mut uses);
            expr_uses(value, &mut uses);
            step(Vec::new())
        }
        Instr::Recv { chan, value, ok, .. } => {
            expr_uses(chan, &mut uses);
            let mut defs = place(value.as_ref(), is_ref, &mut uses);
            defs.extend(place(ok.as_ref(), is_ref, &mut uses));
            step(defs)
        }
        Instr::Select { cases, default } => {
            let mut next: Vec<(usize, Vec<u16>)> = cases
                .iter()
                .map(|case| {
                    let defs = match &case.kind {
                        CaseKind::Recv { chan, value, ok, .. } => {
                            expr_uses(chan, &mut uses);
                            let mut defs = place(value.as_ref(), is_ref, &mut uses);
                            defs.extend(place(ok.as_ref(), is_ref, &mut uses));
                            defs
                        }
                        CaseKind::Send { chan, value } => {
                            expr_uses(chan, &mut uses);
                            expr_uses(value, &mut uses);
                            Vec::new()
                        }
                        CaseKind::After => Vec::new(),
                    };
                    (case.target as usize, defs)
                })
                .collect();
            next.extend(default.map(|d| (d as usize, Vec::new())));
            next
        }
        Instr::Spawn { args, dst, group, .. } => {
            args.iter().chain(group).for_each(|a| expr_uses(a, &mut uses));
            step(place(dst.as_ref(), is_ref, &mut uses))
        }
        Instr::Join { task } => {
            expr_uses(task, &mut uses);
            step(Vec::new())
        }
        Instr::Work { ctx, dst, .. } => {
            ctx.iter().for_each(|c| expr_uses(c, &mut uses));
            step(place(dst.as_ref(), is_ref, &mut uses))
        }
        Instr::Recover { dst, .. } => step(place(dst.as_ref(), is_ref, &mut uses)),
        Instr::Call { callee, args, dst, rest } => {
            if let Callee::Dynamic(c) = callee {
                expr_uses(c, &mut uses);
            }
            args.iter().for_each(|a| expr_uses(a, &mut uses));
            let mut defs = place(dst.as_ref(), is_ref, &mut uses);
            for r in rest {
                defs.extend(place(Some(r), is_ref, &mut uses));
            }
            step(defs)
        }
        Instr::Return { value } => {
            value.iter().for_each(|v| expr_uses(v, &mut uses));
            returning()
        }
        Instr::EndDefer => returning(),
        Instr::Jump { target } => vec![(*target as usize, Vec::new())],
        Instr::Branch { cond, target } => {
            expr_uses(cond, &mut uses);
            vec![(pc + 1, Vec::new()), (*target as usize, Vec::new())]
        }
        Instr::Choose { targets } => targets.iter().map(|&t| (t as usize, Vec::new())).collect(),
        Instr::Defer { capture, .. } => {
            capture.iter().for_each(|(_, x)| expr_uses(x, &mut uses));
            step(Vec::new())
        }
        Instr::Sleep | Instr::Yield => step(Vec::new()),
        Instr::Exit => Vec::new(),
        Instr::Op { target, arg, dst, .. } => {
            expr_uses(target, &mut uses);
            arg.iter().for_each(|a| expr_uses(a, &mut uses));
            step(place(dst.as_ref(), is_ref, &mut uses))
        }
        Instr::OnceEnter { once, skip } => {
            expr_uses(once, &mut uses);
            vec![(pc + 1, Vec::new()), (*skip as usize, Vec::new())]
        }
        Instr::OnceExit { once: cond } | Instr::Assert { cond } => {
            expr_uses(cond, &mut uses);
            step(Vec::new())
        }
        Instr::MapNext { iter, map, key, value, found } => {
            expr_uses(iter, &mut uses);
            expr_uses(map, &mut uses);
            // The key and value are written only when an entry is produced:
            // at the loop's end they keep the last ones (Go's), so the step
            // does not kill them.
            place(key.as_ref(), is_ref, &mut uses);
            place(value.as_ref(), is_ref, &mut uses);
            step(place(Some(found), is_ref, &mut uses))
        }
    };
    Flow { uses, next }
}

/// What a store into `dst` reads (into `uses`) and which locals it overwrites.
fn place(dst: Option<&Place>, is_ref: &dyn Fn(u16) -> bool, uses: &mut Vec<u16>) -> Vec<u16> {
    let (u, defs) = place_flow(dst, is_ref);
    uses.extend(u);
    defs
}

/// (locals read, locals overwritten) by a store into `dst`.
fn place_flow(dst: Option<&Place>, is_ref: &dyn Fn(u16) -> bool) -> (Vec<u16>, Vec<u16>) {
    let mut uses = Vec::new();
    let defs = match dst {
        None | Some(Place::Global(_)) => Vec::new(),
        Some(Place::Bind(s)) => vec![*s],
        // A store through a reference reads the slot and leaves it as it is.
        Some(Place::Local(s)) if is_ref(*s) => {
            uses.push(*s);
            Vec::new()
        }
        Some(Place::Local(s)) => vec![*s],
        Some(Place::Index(a, i)) => {
            expr_uses(a, &mut uses);
            expr_uses(i, &mut uses);
            Vec::new()
        }
        Some(Place::Field(a, _)) => {
            expr_uses(a, &mut uses);
            Vec::new()
        }
        Some(Place::MapEntry(m, k)) => {
            expr_uses(m, &mut uses);
            expr_uses(k, &mut uses);
            Vec::new()
        }
    };
    (uses, defs)
}

fn ctor_uses(c: &Ctor, uses: &mut Vec<u16>) {
    c.operands().into_iter().for_each(|x| expr_uses(x, uses));
}

fn expr_uses(x: &Expr, uses: &mut Vec<u16>) {
    match x {
        Expr::Local(s) | Expr::Raw(s) => uses.push(*s),
        _ => x.children().for_each(|c| expr_uses(c, uses)),
    }
}

#[cfg(test)]
mod tests {
    use crate::{compile, Func, Instr, Pc, Place, Program};
    use proptest::prelude::*;

    fn func<'p>(p: &'p Program, name: &str) -> &'p Func {
        p.funcs.iter().find(|f| f.name == name).expect("a function of that name")
    }

    /// The pc of the first instruction of `f` that `pick` accepts.
    fn pc_of(f: &Func, pick: impl Fn(&Instr) -> bool) -> usize {
        f.code.iter().position(pick).expect("such an instruction")
    }

    /// The named (non-temporary) locals live in `dead` of `f`.
    fn live(f: &Func, dead: &[u16]) -> Vec<String> {
        (0..f.locals.len() as u16)
            .filter(|s| !dead.contains(s) && !f.locals[*s as usize].starts_with('$'))
            .map(|s| f.locals[s as usize].clone())
            .collect()
    }

    fn live_before(src: &str, name: &str, pick: impl Fn(&Instr) -> bool) -> Vec<String> {
        let p = compile(src).expect("compiles");
        let f = func(&p, name);
        live(f, &f.dead[pc_of(f, pick)])
    }

    #[test]
    fn a_local_read_after_a_loop_stays_live_inside_it() {
        let src = "task main() {\n let ch = chan(1)\n let x = 7\n for i in 0..3 {\n  send ch, i\n  recv ch\n }\n send ch, x\n}\n";
        let in_loop = live_before(src, "main", |i| matches!(i, Instr::Recv { .. }));
        assert_eq!(in_loop, ["ch", "x", "i"]);
        let p = compile(src).expect("compiles");
        let f = func(&p, "main");
        let last_send = f.code.iter().rposition(|i| matches!(i, Instr::Send { .. })).expect("a send");
        assert_eq!(live(f, &f.dead[last_send]), ["ch", "x"], "the loop counter is dead after the loop");
    }

    #[test]
    fn a_received_value_never_read_is_dead_and_a_flag_dies_once_tested() {
        let src = "task worker(jobs) {\n loop {\n  select {\n   recv jobs as (j, ok) => {\n    if !ok { return }\n   }\n  }\n }\n}\ntask main() {\n let jobs = chan(1)\n spawn worker(jobs)\n close(jobs)\n}\n";
        assert_eq!(live_before(src, "worker", |i| matches!(i, Instr::Select { .. })), ["jobs"]);
        assert_eq!(live_before(src, "worker", |i| matches!(i, Instr::Branch { .. })), ["jobs", "ok"]);
    }

    #[test]
    fn a_deferred_block_keeps_what_it_reads_live() {
        let src =
            "task main() {\n let wg = waitgroup()\n let n = 1\n wg.add(n)\n defer { wg.done() }\n sleep\n}\n";
        assert_eq!(live_before(src, "main", |i| matches!(i, Instr::Sleep)), ["wg"]);
    }

    #[test]
    fn a_deferred_block_in_a_loop_keeps_what_it_captured_live() {
        let src = "task main() {\n let wgs = [waitgroup(); 2]\n for i in 0..2 {\n  let wg = wgs[i]\n  wg.add(1)\n  defer { wg.done() }\n }\n sleep\n}\n";
        let p = compile(src).expect("compiles");
        let f = func(&p, "main");
        let Instr::Defer { capture, .. } = &f.code[pc_of(f, |i| matches!(i, Instr::Defer { .. }))] else {
            unreachable!("picked a defer")
        };
        let hidden = capture[0].0;
        assert!(
            !live_before(src, "main", |i| matches!(i, Instr::Sleep)).contains(&"wg".to_string()),
            "wg was captured"
        );
        let sleep = pc_of(f, |i| matches!(i, Instr::Sleep));
        assert!(!f.dead[sleep].contains(&hidden), "the captured copy stays live for the deferred block");
    }

    #[test]
    fn a_deferred_call_reads_its_operands_at_the_defer() {
        let src = "task main() {\n let wg = waitgroup()\n wg.add(1)\n defer wg.done()\n sleep\n}\n";
        assert!(live_before(src, "main", |i| matches!(i, Instr::Sleep)).is_empty(), "wg was captured");
        let p = compile(src).expect("compiles");
        let f = func(&p, "main");
        let Instr::Defer { capture, .. } = &f.code[pc_of(f, |i| matches!(i, Instr::Defer { .. }))] else {
            unreachable!("picked a defer")
        };
        let hidden = capture[0].0;
        let sleep = pc_of(f, |i| matches!(i, Instr::Sleep));
        assert!(!f.dead[sleep].contains(&hidden), "the captured copy stays live for the deferred call");
    }

    #[test]
    fn a_store_through_a_reference_reads_the_slot() {
        let src = "task main() {\n var n = 0\n spawn bump(n)\n n = 2\n}\ntask bump(m) {\n m = 1\n}\n";
        let store = |i: &Instr| matches!(i, Instr::Assign { dst: Place::Local(_), .. });
        assert_eq!(live_before(src, "main", store), ["n"]);
        assert_eq!(live_before(src, "bump", store), ["m"]);
        let plain = "task main() {\n let n = 0\n n = 2\n}\n";
        assert!(live_before(plain, "main", store).is_empty(), "a plain local is overwritten");
    }

    #[test]
    fn a_tasks_context_parameters_are_never_dead() {
        let src = "task main() {\n let ctx = signal()\n let c = with_cancel(ctx)\n spawn worker(c)\n work w\n cancel(c)\n}\ntask worker(ctx) {\n let k = 3\n work w\n}\n";
        assert_eq!(live_before(src, "main", |i| matches!(i, Instr::Work { .. })), ["c"]);
        assert_eq!(live_before(src, "worker", |i| matches!(i, Instr::Work { .. })), ["ctx"]);
    }

    #[test]
    fn a_caller_waiting_in_a_call_keeps_only_what_it_reads_after() {
        let src = "fn id(v) {\n return v\n}\ntask main() {\n let ch = chan(1)\n let a = 1\n let b = 2\n let r = id(a)\n send ch, b\n}\n";
        let p = compile(src).expect("compiles");
        let f = func(&p, "main");
        let call = pc_of(f, |i| matches!(i, Instr::Call { .. }));
        assert_eq!(live(f, &f.dead[call]), ["ch", "a", "b"]);
        assert_eq!(live(f, &f.dead_in_call[call]), ["ch", "b"]);
        let send = pc_of(f, |i| matches!(i, Instr::Send { .. }));
        assert!(f.dead_in_call[send].is_empty(), "only calls have a waiting set");
    }

    /// A small instruction over locals `0..LOCALS`, for random control flow.
    #[derive(Clone, Debug)]
    enum Op {
        Set(u16, Option<u16>),
        Branch(u16, usize),
        Jump(usize),
        Choose(usize, usize),
        Return(Option<u16>),
        Defer(usize),
        EndDefer,
        Yield,
    }

    const LOCALS: u16 = 4;

    fn op() -> impl Strategy<Value = Op> {
        let l = 0..LOCALS;
        prop_oneof![
            (l.clone(), proptest::option::of(l.clone())).prop_map(|(d, s)| Op::Set(d, s)),
            (l.clone(), 0..12usize).prop_map(|(c, t)| Op::Branch(c, t)),
            (0..12usize).prop_map(Op::Jump),
            (0..12usize, 0..12usize).prop_map(|(a, b)| Op::Choose(a, b)),
            proptest::option::of(l).prop_map(Op::Return),
            (0..12usize).prop_map(Op::Defer),
            Just(Op::EndDefer),
            Just(Op::Yield),
        ]
    }

    fn build(ops: &[Op]) -> Func {
        let n = ops.len();
        let at = |t: usize| (t % n) as Pc;
        let local = crate::Expr::Local;
        let code: Vec<Instr> = ops
            .iter()
            .map(|o| match o {
                Op::Set(d, s) => Instr::Assign {
                    dst: Place::Bind(*d),
                    value: s.map_or(crate::Expr::Const(crate::Const::Int(0)), local),
                },
                Op::Branch(c, t) => Instr::Branch { cond: local(*c), target: at(*t) },
                Op::Jump(t) => Instr::Jump { target: at(*t) },
                Op::Choose(a, b) => Instr::Choose { targets: vec![at(*a), at(*b)] },
                Op::Return(v) => Instr::Return { value: v.map(local) },
                Op::Defer(b) => Instr::Defer { block: at(*b), capture: Vec::new() },
                Op::EndDefer => Instr::EndDefer,
                Op::Yield => Instr::Yield,
            })
            .collect();
        Func {
            name: "f".into(),
            is_task: true,
            params: 0,
            locals: (0..LOCALS).map(|i| format!("l{i}")).collect(),
            spans: vec![Default::default(); n],
            silent: vec![false; n],
            dead: Vec::new(),
            dead_in_call: Vec::new(),
            uses: Default::default(),
            results: Vec::new(),
            zero: crate::Const::Unit,
            result_zeros: Vec::new(),
            deferred_calls: Vec::new(),
            span: Default::default(),
            code,
        }
    }

    /// Whether some path from `pc` reads `l` before writing it, by searching
    /// paths (a panic at any instruction goes on to any deferred block).
    fn read_ahead(ops: &[Op], pc: usize, l: u16) -> bool {
        let n = ops.len();
        let blocks: Vec<usize> =
            ops.iter().filter_map(|o| if let Op::Defer(b) = o { Some(b % n) } else { None }).collect();
        let mut seen = vec![false; n];
        let mut stack = vec![pc];
        while let Some(at) = stack.pop() {
            if at >= n || std::mem::replace(&mut seen[at], true) {
                continue;
            }
            let (reads, writes, next): (bool, bool, Vec<usize>) = match &ops[at] {
                Op::Set(d, s) => (*s == Some(l), *d == l, vec![at + 1]),
                Op::Branch(c, t) => (*c == l, false, vec![at + 1, t % n]),
                Op::Jump(t) => (false, false, vec![t % n]),
                Op::Choose(a, b) => (false, false, vec![a % n, b % n]),
                Op::Return(v) => (*v == Some(l), false, blocks.clone()),
                Op::EndDefer => (false, false, blocks.clone()),
                Op::Defer(_) | Op::Yield => (false, false, vec![at + 1]),
            };
            if reads {
                return true;
            }
            // A panic here, before any write, runs the deferred blocks.
            stack.extend(&blocks);
            if !writes {
                stack.extend(next);
            }
        }
        false
    }

    proptest! {
        #[test]
        fn dead_means_no_path_reads_before_writing(ops in proptest::collection::vec(op(), 1..12)) {
            let mut f = build(&ops);
            let (dead, _) = super::analyse(&f, &|_| false);
            f.dead = dead;
            for pc in 0..ops.len() {
                for l in 0..LOCALS {
                    prop_assert_eq!(!f.dead[pc].contains(&l), read_ahead(&ops, pc, l), "pc {} local {}", pc, l);
                }
            }
        }
    }
}
