//! Go's detector of unguarded map use. A map write runs with the map's
//! `hashWriting` flag set; a write, lookup or iteration that finds it set is
//! a fatal error (`runtime/map.go`). So a map write is two steps: the write,
//! which leaves the task in phase `MAP_WRITING` at the instruction, and the
//! end of the write; a step of another task that uses the map in between is
//! the fatal error Go raises (docs/semantics.md, Steps).

use super::exec::Exec;
use crate::eval::{map_entries, Fault};
use crate::state::Value;
use leash_ir::{map_fault, Instr};

/// The phase of a task inside a map write: the map is written, the step
/// that ends the write is still to come.
pub(crate) const MAP_WRITING: u8 = 9;

impl Exec<'_> {
    /// Go's fatal error for task `slot`'s step of `instr`, if it uses a map
    /// that another task is inside a write of.
    pub(super) fn map_race(&self, slot: usize, instr: &Instr) -> Result<(), Fault> {
        let busy: Vec<(Value, bool)> = (0..self.s.tasks.len())
            .filter(|&t| t != slot && self.s.tasks[t].phase == MAP_WRITING)
            .filter_map(|t| {
                let (m, assigns) = self.instr(t).map_written()?;
                Some((self.eval(t, m).ok()?, !assigns))
            })
            .collect();
        if busy.is_empty() {
            return Ok(());
        }
        let map_of = |m: &leash_ir::Expr| self.eval(slot, m).ok();
        let empty = |m: Value| map_entries(&self.s, m).map_or(true, |xs| xs.is_empty());
        match map_fault(instr, &busy, &map_of, &empty) {
            Some(fatal) => Err(fatal.into()),
            None => Ok(()),
        }
    }

    /// Ends the map write task `slot` began at its last step, if it is
    /// inside one: whether it was.
    pub(super) fn map_write_ends(&mut self, slot: usize) -> bool {
        let ends = self.s.tasks[slot].phase == MAP_WRITING;
        if ends {
            self.s.task_mut(slot).phase = 0;
            self.advance(slot);
        }
        ends
    }

    /// Leaves task `slot` inside the map write its step just made.
    pub(super) fn map_write_begun(&mut self, slot: usize) {
        self.s.task_mut(slot).phase = MAP_WRITING;
    }
}
