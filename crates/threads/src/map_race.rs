//! Go's detector of unguarded map use (docs/semantics.md, Steps): a map
//! write is two steps, the write and its end (the task in
//! `Phase::MapWriting` between them), and a step of another task that uses
//! the map in between is the fatal error Go raises.

use crate::world::{Phase, World};
use crate::Instance;
use leash_ir::{Instr, MapRead, MAP_WRITES};
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
        // A delete empties the map before it ends its write (Go's
        // `mapdelete` decrements the count last): a use beside one is
        // checked as if the map were not empty yet.
        let hit = |m: &leash_ir::Expr, even_empty: bool| {
            self.eval(t, m).is_ok_and(|m| {
                busy.iter().any(|&(b, deletes)| {
                    b == m && (even_empty || deletes || self.map_entries(m).is_ok_and(|xs| !xs.is_empty()))
                })
            })
        };
        if let Some((m, even_empty)) = instr.map_written() {
            if hit(m, even_empty) {
                return Err(MAP_WRITES.to_string());
            }
        }
        match instr.maps_read().into_iter().find(|(m, read)| hit(m, *read == MapRead::RangeNext)) {
            Some((_, read)) => Err(read.fatal().to_string()),
            None => Ok(()),
        }
    }
}
