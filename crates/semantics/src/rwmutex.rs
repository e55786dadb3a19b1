//! `sync.RWMutex` as Go 1.19 keeps it (sync/rwmutex.go), shared by the
//! reference semantics and the threads engine: the same fields, stepped the
//! same way, so that a stray `runlock` or `unlock` passes, hangs or is fatal
//! exactly where Go's does.

/// Go's fields of an rwmutex: `count` readers counted (inside, or blocked
/// behind a writer: `readerCount` without the writer's offset); `writer`
/// holds the writers' mutex and has taken the offset (waiting for the
/// readers to leave, or inside); `wait` readers still to leave before it
/// goes in (`readerWait`); `rsem` and `wsem` the permits of the readers' and
/// the writer's semaphores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RwMutex {
    pub count: u8,
    pub writer: bool,
    pub wait: i8,
    pub rsem: u8,
    pub wsem: u8,
}

const TOO_MANY: &str = "too many readers";

impl RwMutex {
    /// Go's `RLock`: the reader is counted; behind a writer it takes a
    /// permit of the readers' semaphore, and blocks (true) when there is none.
    pub fn rlock(&mut self) -> Result<bool, String> {
        self.count = self.count.checked_add(1).ok_or(TOO_MANY)?;
        Ok(self.writer && !take(&mut self.rsem))
    }

    /// Go's `RUnlock`: fatal only when no reader is counted (inside, or
    /// blocked behind a writer: Go cannot tell them apart); behind a writer,
    /// the last reader to leave gives the writer its permit.
    pub fn runlock(&mut self) -> Result<(), String> {
        if self.count == 0 {
            return Err("fatal error: sync: RUnlock of unlocked RWMutex".into());
        }
        self.count -= 1;
        if self.writer {
            self.wait = self.wait.checked_sub(1).ok_or(TOO_MANY)?;
            if self.wait == 0 {
                self.wsem = self.wsem.checked_add(1).ok_or(TOO_MANY)?;
            }
        }
        Ok(())
    }

    /// Go's `Lock`, once the writers' mutex is taken: the readers counted
    /// are to leave first; blocks (true) when some are and no permit waits.
    pub fn lock(&mut self) -> Result<bool, String> {
        self.writer = true;
        if self.count == 0 {
            return Ok(false);
        }
        let readers = i8::try_from(self.count).map_err(|_| TOO_MANY)?;
        self.wait = self.wait.checked_add(readers).ok_or(TOO_MANY)?;
        Ok(self.wait != 0 && !take(&mut self.wsem))
    }

    /// Whether `lock` would go in at once (its writers' mutex free).
    pub fn lock_enters(&self) -> bool {
        self.count == 0 || i16::from(self.wait) + i16::from(self.count) == 0 || self.wsem > 0
    }

    /// Go's `Unlock`: fatal without a writer; a permit for every reader
    /// counted, and the writers' mutex is free.
    pub fn unlock(&mut self) -> Result<(), String> {
        if !self.writer {
            return Err("fatal error: sync: Unlock of unlocked RWMutex".into());
        }
        self.writer = false;
        self.rsem = self.rsem.checked_add(self.count).ok_or(TOO_MANY)?;
        Ok(())
    }

    /// A blocked reader (or writer, `writer`) takes the permit it waited for.
    pub fn take(&mut self, writer: bool) {
        take(if writer { &mut self.wsem } else { &mut self.rsem });
    }

    /// Whether a permit waits for a blocked reader (or writer, `writer`).
    pub fn permit(&self, writer: bool) -> bool {
        (if writer { self.wsem } else { self.rsem }) > 0
    }
}

/// Takes one permit of a semaphore, if there is one.
fn take(sem: &mut u8) -> bool {
    let some = *sem > 0;
    *sem -= some as u8;
    some
}
