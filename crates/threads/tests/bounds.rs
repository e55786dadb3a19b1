//! How executions end besides exiting: stuck (found by the runtime, or left
//! to the library), panics, the step and thread bounds; and determinism.

mod sim;

use leash_semantics::Scenario;
use leash_threads::conform::{conform, conform_library_deadlock};
use leash_threads::{Blocked, Config, End, Entry, Instance};
use sim::{execute, Failure};
use std::sync::Arc;

fn program(text: &str) -> Arc<leash_ir::Program> {
    Arc::new(leash_ir::compile(text).expect("the model compiles"))
}

fn config() -> Config {
    Config { scenario: Scenario::Completion, max_steps: 200, max_threads: 8, detect_stuck: true }
}

const LEAKY: &str = "task main() {\n let out = chan(0)\n spawn compute(out)\n select {\n recv out => {}\n after => {}\n }\n}\ntask compute(out) {\n work expensive\n send out\n}\n";
const FIXED: &str = "task main() {\n let out = chan(1)\n spawn compute(out)\n select {\n recv out => {}\n after => {}\n }\n}\ntask compute(out) {\n work expensive\n send out\n}\n";

#[test]
fn a_leak_ends_stuck_without_main_and_its_fix_exits() {
    let leaky = program(LEAKY);
    let mut leaked = 0;
    for seed in 0..40 {
        for script in [vec![0], vec![1]] {
            let o = execute(&leaky, config(), seed, script, false).expect("runs");
            conform(&leaky, Scenario::Completion, &o).expect("replays");
            match &o.end {
                End::Stuck { main_alive: false, blocked } => {
                    assert_eq!(blocked, &[Blocked { task: 1, func: 1, at: (1, 1) }]);
                    leaked += 1;
                }
                End::Exited => {}
                other => panic!("unexpected end {other:?}"),
            }
        }
    }
    assert!(leaked > 0, "the leak shows in some schedule");
    let fixed = program(FIXED);
    for seed in 0..40 {
        for script in [vec![0], vec![1]] {
            let o = execute(&fixed, config(), seed, script, false).expect("runs");
            conform(&fixed, Scenario::Completion, &o).expect("replays");
            assert_eq!(o.end, End::Exited, "seed {seed}");
        }
    }
}

#[test]
fn a_deadlock_is_left_to_the_library_when_asked() {
    let p = program("task main() {\n let ch = chan(0)\n let t = spawn r(ch)\n recv ch\n join t\n}\ntask r(ch) {\n recv ch\n}\n");
    let off = Config { detect_stuck: false, ..config() };
    for seed in 0..20 {
        match execute(&p, off, seed, Vec::new(), false) {
            Err(Failure::Deadlock(log)) => {
                conform_library_deadlock(&p, Scenario::Completion, &log).expect("the reference is stuck too");
            }
            other => panic!("expected the library to find a deadlock, got {other:?}"),
        }
        let o = execute(&p, config(), seed, Vec::new(), false).expect("runs");
        assert!(matches!(o.end, End::Stuck { main_alive: true, .. }), "{o:?}");
    }
}

#[test]
fn a_loop_hits_the_step_bound() {
    let p = program("task main() {\n loop {\n yield\n }\n}\n");
    let o = execute(&p, config(), 0, Vec::new(), false).expect("runs");
    assert_eq!(o.end, End::StepBound);
    assert_eq!(o.log.len(), config().max_steps);
}

#[test]
fn spawning_beyond_the_thread_bound_stops_the_execution() {
    let p = program("task main() {\n for i in 0..10 {\n spawn w()\n }\n}\ntask w() {\n yield\n}\n");
    let o = execute(&p, Config { max_threads: 4, ..config() }, 0, Vec::new(), false).expect("runs");
    assert_eq!(o.end, End::TooManyThreads { needed: 5 });
    let env = program("task main() {\n let ctx = signal()\n spawn w(ctx)\n spawn w(ctx)\n}\ntask w(ctx) {\n recv ctx.done\n}\n");
    for scenario in Scenario::ALL {
        let config = Config { max_threads: 3, scenario, ..config() };
        let o = execute(&env, config, 0, Vec::new(), false).expect("runs");
        assert!(!matches!(o.end, End::TooManyThreads { .. }), "the signal takes no thread: {o:?}");
    }
}

#[test]
fn a_panic_names_the_instruction_and_is_not_logged() {
    let p = program("task main() {\n let ch = chan(1)\n close(ch)\n close(ch)\n}\n");
    let o = execute(&p, config(), 0, Vec::new(), false).expect("runs");
    assert_eq!(o.end, End::Panic { task: 0, at: (0, 3), message: "close of closed channel".into() });
    assert_eq!(o.log.len(), 1);
    conform(&p, Scenario::Completion, &o).expect("replays");
    let at_start = program("task main() {\n assert 1 == 2\n}\n");
    let o = execute(&at_start, config(), 0, Vec::new(), false).expect("runs");
    assert_eq!(o.end, End::Panic { task: 0, at: (0, 0), message: "assertion failed".into() });
    assert!(o.log.is_empty());
}

#[test]
fn a_hand_off_is_one_park_and_one_step_of_the_task_that_arrives_second() {
    let p = program("task main() {\n let ch = chan(0)\n let t = spawn s(ch)\n select {\n recv ch => {}\n }\n join t\n}\ntask s(ch) {\n send ch, 1\n}\n");
    let mut orders = std::collections::BTreeSet::new();
    for seed in 0..30 {
        let o = execute(&p, config(), seed, Vec::new(), false).expect("runs");
        conform(&p, Scenario::Completion, &o).expect("replays");
        let parks: Vec<Instance> = o
            .log
            .iter()
            .filter_map(|e| match e {
                Entry::Step { task, case: Entry::PARK, .. } => Some(*task),
                _ => None,
            })
            .collect();
        let meets: Vec<&Entry> =
            o.log.iter().filter(|e| matches!(e, Entry::Step { partner: Some(_), .. })).collect();
        assert_eq!((parks.len(), meets.len()), (1, 1), "{o:?}");
        match (parks[0], meets[0]) {
            // main parked in its select; the sender completes its case 0.
            (0, Entry::Step { task: 1, case: 0, partner: Some((0, 0)), .. }) => {
                orders.insert("receiver first")
            }
            // the sender parked in its plain send; main's case 0 completes it.
            (1, Entry::Step { task: 0, case: 0, partner: Some((1, u16::MAX)), .. }) => {
                orders.insert("sender first")
            }
            other => panic!("unexpected hand-off {other:?} in {o:?}"),
        };
    }
    assert_eq!(orders.len(), 2, "both orders of arrival show: {orders:?}");
}

#[test]
fn the_same_schedule_and_choices_give_the_same_execution() {
    let p = program(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/seeds/worker_pool_errgroup.leash"
        ))
        .expect("a model"),
    );
    for seed in 0..10 {
        let config = Config { scenario: Scenario::Error, ..config() };
        let a = execute(&p, config, seed, Vec::new(), true).expect("runs");
        let b = execute(&p, config, seed, Vec::new(), true).expect("runs");
        assert_eq!(a, b);
    }
}
