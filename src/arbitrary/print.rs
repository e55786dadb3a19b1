//! The model text of a design: components numbered in preorder, each printed
//! as the lines its owner runs (start, use, stop) and a task declaration per
//! spawned task; the defect sites are recorded on the way.

use super::{Component, Defect, Design, Join, Node, Site, Stop};
use std::collections::BTreeMap;

/// Lines of one component in the owner's body: made and spawned, used, stopped.
struct Phases {
    start: Vec<String>,
    run: Vec<String>,
    stop: Vec<String>,
}

/// Prints a design, numbering components in preorder and recording the
/// defect sites; the site numbered `target` is printed with its defect.
pub(super) struct Printer {
    target: Option<usize>,
    /// Every site met so far, in the order of the text.
    pub(super) sites: Vec<Site>,
    next: usize,
    tasks: BTreeMap<usize, String>,
}

impl Printer {
    pub(super) fn new(target: Option<usize>) -> Printer {
        Printer { target, sites: Vec::new(), next: 1, tasks: BTreeMap::new() }
    }

    /// The model text of `d`, without a header.
    pub(super) fn design(&mut self, d: &Design) -> String {
        let mut body = Vec::new();
        if d.main.needs_ctx() {
            body.push("let ctx = background()".to_string());
        }
        body.extend(self.node("main", &d.main));
        let mut out = task("main", "", &body);
        for t in self.tasks.values() {
            out.push('\n');
            out.push_str(t);
        }
        out
    }

    /// Registers a site; true if it is the one to mutate.
    fn site(&mut self, defect: Defect, task: &str) -> bool {
        let on = self.target == Some(self.sites.len());
        self.sites.push(Site { defect, task: task.to_string() });
        on
    }

    fn node(&mut self, owner: &str, node: &Node) -> Vec<String> {
        let phases: Vec<Phases> = node.components.iter().map(|c| self.component(owner, c)).collect();
        if node.overlap {
            let starts = phases.iter().flat_map(|p| p.start.clone());
            let runs = phases.iter().flat_map(|p| p.run.clone());
            let stops = phases.iter().rev().flat_map(|p| p.stop.clone());
            starts.chain(runs).chain(stops).collect()
        } else {
            phases.into_iter().flat_map(|p| [p.start, p.run, p.stop].concat()).collect()
        }
    }

    fn component(&mut self, owner: &str, c: &Component) -> Phases {
        let n = self.next;
        self.next += 1;
        match c {
            Component::Worker { capacity, jobs, stop } => self.worker(owner, n, *capacity, *jobs, *stop),
            Component::Heartbeat => self.heartbeat(n),
            Component::Timeout => self.timeout(owner, n),
            Component::Group { members, limited } => self.group(owner, n, *members, *limited),
            Component::WaitGroup { members, add_first } => self.wait_group(n, *members, *add_first),
            Component::Publisher => self.publisher(n),
            Component::Fallible => self.fallible(owner, n),
            Component::Poller => self.poller(n),
            Component::Notify => self.notify(n),
            Component::Child { join, body } => self.child(owner, n, *join, body),
        }
    }

    fn worker(&mut self, owner: &str, n: usize, capacity: u8, jobs: u8, stop: Stop) -> Phases {
        let name = format!("worker{n}");
        let drop_ctx = stop == Stop::Cancel && self.site(Defect::DropCtxCase, &name);
        let forget_close = stop == Stop::Close && self.site(Defect::ForgetClose, &name);
        let forget_cancel = stop == Stop::Close && self.site(Defect::ForgetCancel, owner);
        let mut body = lines("loop {\n    select {");
        if !drop_ctx {
            body.push("        recv ctx.done => return".into());
        }
        let case = ["recv jobs as (_, ok) => {", "    if !ok { return }", "    work process(ctx)", "}"];
        body.extend(case.map(|l| format!("        {l}")));
        body.extend(lines("    }\n}"));
        self.tasks.insert(n, task(&name, "ctx, jobs", &body));
        let mut start = context(n, forget_cancel);
        start.push(format!("let jobs{n} = chan({capacity})"));
        start.push(format!("let t{n} = spawn {name}(ctx{n}, jobs{n})"));
        let run = (0..jobs).map(|_| format!("send jobs{n}, :job")).collect();
        let halt = match stop {
            Stop::Cancel => vec![format!("cancel(ctx{n})")],
            Stop::Close if forget_close => vec![],
            Stop::Close => vec![format!("close(jobs{n})")],
        };
        Phases { start, run, stop: [halt, vec![format!("join t{n}")]].concat() }
    }

    fn heartbeat(&mut self, n: usize) -> Phases {
        let name = format!("beat{n}");
        let drop_ctx = self.site(Defect::DropCtxCase, &name);
        let forget_stop = self.site(Defect::ForgetStop, &name);
        let mut body = vec!["let tick = ticker()".to_string()];
        if !forget_stop {
            body.push("defer stop(tick)".into());
        }
        body.extend(lines("loop {\n    select {"));
        if !drop_ctx {
            body.push("        recv ctx.done => return".into());
        }
        body.extend(lines("        recv tick => work ping(ctx)\n    }\n}"));
        self.tasks.insert(n, task(&name, "ctx", &body));
        let mut start = context(n, false);
        start.push(format!("let t{n} = spawn {name}(ctx{n})"));
        Phases { start, run: vec![], stop: vec![format!("cancel(ctx{n})"), format!("join t{n}")] }
    }

    fn timeout(&mut self, owner: &str, n: usize) -> Phases {
        let name = format!("compute{n}");
        let unbuffered = self.site(Defect::UnbufferedResult, &name);
        let forget_cancel = self.site(Defect::ForgetCancel, owner);
        self.tasks.insert(n, task(&name, "ctx, out", &lines("let r = work compute(ctx)\nsend out, r")));
        let mut start = context(n, forget_cancel);
        start.push(format!("let out{n} = chan({})", if unbuffered { 0 } else { 1 }));
        start.push(format!("let t{n} = spawn {name}(ctx{n}, out{n})"));
        let run = lines(&format!("select {{\n    recv out{n} => {{}}\n    after => {{}}\n}}"));
        Phases { start, run, stop: vec![format!("join t{n}")] }
    }

    fn group(&mut self, owner: &str, n: usize, members: u8, limited: bool) -> Phases {
        let name = format!("fetch{n}");
        let unbuffered = self.site(Defect::UnbufferedResult, &name);
        let forget_close = self.site(Defect::ForgetClose, owner);
        let forget_cancel = self.site(Defect::ForgetCancel, owner);
        self.tasks.insert(n, task(&name, "ctx, results", &lines("work fetch(ctx)?\nsend results, :done")));
        let mut start = context(n, forget_cancel);
        start.push(format!("let results{n} = chan({})", if unbuffered { 0 } else { members }));
        start.push(format!("let g{n} = group(ctx{n}{})", if limited { ", 1" } else { "" }));
        start.extend(lines(&format!(
            "for i in 0..{members} {{\n    g{n}.go {name}(g{n}.ctx, results{n})\n}}"
        )));
        let mut stop = vec![format!("g{n}.wait()")];
        if !forget_close {
            stop.push(format!("close(results{n})"));
        }
        stop.push(format!("for r in results{n} {{}}"));
        Phases { start, run: vec![], stop }
    }

    fn wait_group(&mut self, n: usize, members: u8, add_first: bool) -> Phases {
        let name = format!("member{n}");
        let in_loop = self.site(Defect::WaitInLoop, &name);
        self.tasks
            .insert(n, task(&name, "results, wg", &lines("defer wg.done()\nwork job\nsend results, :done")));
        let wait = format!("wg{n}.wait()");
        let inner = if in_loop { format!("\n    {wait}") } else { String::new() };
        let mut start = vec![format!("let wg{n} = waitgroup()"), format!("let results{n} = chan(0)")];
        let add_each = if add_first {
            start.push(format!("wg{n}.add({members})"));
            String::new()
        } else {
            format!("\n    wg{n}.add(1)")
        };
        start.extend(lines(&format!(
            "for i in 0..{members} {{{add_each}\n    spawn {name}(results{n}, wg{n}){inner}\n}}"
        )));
        let run = lines(&format!("for i in 0..{members} {{\n    recv results{n}\n}}"));
        Phases { start, run, stop: if in_loop { vec![] } else { vec![wait] } }
    }

    fn publisher(&mut self, n: usize) -> Phases {
        let name = format!("publisher{n}");
        let across = self.site(Defect::MutexAcrossSend, &name);
        let body = if across {
            "mu.lock()\nstate = state + 1\nsend events, :changed\nmu.unlock()"
        } else {
            "mu.lock()\nstate = state + 1\nmu.unlock()\nsend events, :changed"
        };
        self.tasks.insert(n, task(&name, "mu, state, events", &lines(body)));
        let start = vec![
            format!("let mu{n} = mutex()"),
            format!("var state{n} = 0"),
            format!("let events{n} = chan(0)"),
            format!("let t{n} = spawn {name}(mu{n}, state{n}, events{n})"),
        ];
        let run = lines(&format!("mu{n}.lock()\nlet seen{n} = state{n}\nmu{n}.unlock()\nrecv events{n}"));
        Phases { start, run, stop: vec![format!("join t{n}")] }
    }

    fn fallible(&mut self, owner: &str, n: usize) -> Phases {
        let name = format!("job{n}");
        let unbuffered = self.site(Defect::UnbufferedResult, &name);
        let forget_cancel = self.site(Defect::ForgetCancel, owner);
        let body = "let r = work job(ctx)\nif r == err {\n    send errc, err\n} else {\n    close(done)\n}";
        self.tasks.insert(n, task(&name, "ctx, errc, done", &lines(body)));
        let mut start = vec![format!("let ctx{n} = with_timeout(ctx)")];
        if !forget_cancel {
            start.push(format!("defer cancel(ctx{n})"));
        }
        start.push(format!("let errc{n} = chan({})", if unbuffered { 0 } else { 1 }));
        start.push(format!("let done{n} = chan(0)"));
        start.push(format!("let t{n} = spawn {name}(ctx{n}, errc{n}, done{n})"));
        let run = lines(&format!(
            "select {{\n    recv errc{n} => {{}}\n    recv done{n} => {{}}\n    recv ctx{n}.done => {{}}\n}}"
        ));
        Phases { start, run, stop: vec![format!("join t{n}")] }
    }

    fn poller(&mut self, n: usize) -> Phases {
        let name = format!("poll{n}");
        let drop_ctx = self.site(Defect::DropCtxCase, &name);
        let mut body = lines("loop {\n    select {");
        if !drop_ctx {
            body.push("        recv ctx.done => return".into());
        }
        body.extend(lines("        recv jobs => work handle(ctx)\n        default => sleep\n    }\n}"));
        self.tasks.insert(n, task(&name, "ctx, jobs", &body));
        let mut start = context(n, false);
        start.push(format!("let jobs{n} = chan(1)"));
        start.push(format!("let t{n} = spawn {name}(ctx{n}, jobs{n})"));
        Phases {
            start,
            run: vec![format!("send jobs{n}, :job")],
            stop: vec![format!("cancel(ctx{n})"), format!("join t{n}")],
        }
    }

    fn notify(&mut self, n: usize) -> Phases {
        let name = format!("notify{n}");
        let unbuffered = self.site(Defect::UnbufferedResult, &name);
        self.tasks.insert(n, task(&name, "events", &lines("work prepare\nsend events, :ready")));
        let start = vec![
            format!("let events{n} = chan({})", if unbuffered { 0 } else { 1 }),
            format!("let t{n} = spawn {name}(events{n})"),
        ];
        let run = lines(&format!("select {{\n    recv events{n} => {{}}\n    default => {{}}\n}}"));
        Phases { start, run, stop: vec![format!("join t{n}")] }
    }

    fn child(&mut self, owner: &str, n: usize, join: Join, body: &Node) -> Phases {
        let name = format!("sub{n}");
        let forget_close = join == Join::DoneChannel && self.site(Defect::ForgetClose, owner);
        let with_ctx = body.needs_ctx();
        let forget_cancel = with_ctx && self.site(Defect::ForgetCancel, owner);
        let mut start = Vec::new();
        let mut params = Vec::new();
        let mut args = Vec::new();
        if with_ctx {
            start = context(n, forget_cancel);
            params.push("ctx");
            args.push(format!("ctx{n}"));
        }
        let mut lines = Vec::new();
        if join == Join::DoneChannel {
            params.push("done");
            args.push(format!("done{n}"));
            if !forget_close {
                lines.push("defer close(done)".to_string());
            }
        }
        lines.extend(self.node(&name, body));
        self.tasks.insert(n, task(&name, &params.join(", "), &lines));
        let spawn = format!("spawn {name}({})", args.join(", "));
        let stop = match join {
            Join::Handle => {
                start.push(format!("let t{n} = {spawn}"));
                format!("join t{n}")
            }
            Join::DoneChannel => {
                start.extend([format!("let done{n} = chan(0)"), spawn]);
                format!("recv done{n}")
            }
        };
        Phases { start, run: vec![], stop: vec![stop] }
    }
}

/// The context of component `n`, derived from the owner's `ctx`, cancelled by a `defer` unless forgotten.
fn context(n: usize, forget_cancel: bool) -> Vec<String> {
    let mut out = vec![format!("let ctx{n} = with_cancel(ctx)")];
    if !forget_cancel {
        out.push(format!("defer cancel(ctx{n})"));
    }
    out
}

/// A task declaration with its body lines indented.
fn task(name: &str, params: &str, body: &[String]) -> String {
    let mut out = format!("task {name}({params}) {{\n");
    for line in body {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}
