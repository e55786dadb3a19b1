//! A scheduler that wraps shuttle's and writes down its schedule, so that a
//! failing execution can be printed and replayed without shuttle panicking.

use crate::platform::{lock, Shared};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use std::sync::{Arc, Mutex};

pub(crate) struct Recorder<S> {
    pub(crate) inner: S,
    pub(crate) shared: Arc<Mutex<Shared>>,
}

impl<S: Scheduler> Scheduler for Recorder<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        let s = self.inner.new_execution()?;
        lock(&self.shared).schedule = Schedule::new(s.seed);
        Some(s)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let t = self.inner.next_task(runnable, current, is_yielding)?;
        lock(&self.shared).schedule.push_task(t);
        Some(t)
    }

    fn next_u64(&mut self) -> u64 {
        lock(&self.shared).schedule.push_random();
        self.inner.next_u64()
    }
}
