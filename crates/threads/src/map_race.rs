//! Go's detector of unguarded map use (docs/semantics.md, Steps): a map
//! write is two steps, the write and its end (the task in
//! `Phase::MapWriting` between them), and a step of another task that uses
//! the map in between is the fatal error Go raises.

use crate::world::{Phase, World};
use crate::Instance;
use leash_ir::{map_fault, Instr};
use std::sync::Arc;

impl World {
    /// Go's fatal error for task `t`'s step of `instr`, if it uses a map
    /// that another task is inside a write of.
    pub(crate) fn map_race(&self, t: Instance, instr: &Instr) -> Result<(), String> {
        let program = Arc::clone(&self.program);
        let busy: Vec<_> = self
            .live()
            .filter(|&x| x != t && self.task(x).phase == Phase::MapWriting)
            .filter_map(|x| {
                let (func, pc) = self.at(x);
                let (m, assigns) = program.func(func).code[pc as usize].map_written()?;
                Some((self.eval(x, m).ok()?, !assigns))
            })
            .collect();
        if busy.is_empty() {
            return Ok(());
        }
        let map_of = |m: &leash_ir::Expr| self.eval(t, m).ok();
        let empty = |m| self.map_entries(m).map_or(true, |xs| xs.is_empty());
        match map_fault(instr, &busy, &map_of, &empty) {
            Some(fatal) => Err(fatal.to_string()),
            None => Ok(()),
        }
    }
}
