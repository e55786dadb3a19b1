//! Positions in a growing byte arena, about 4 bytes each: a block's first
//! position in 8 bytes, the others as distances from it in 4.

/// How many positions a block holds. A block spans less than 4 GiB as long
/// as its strings average under 16 MiB, far beyond any state's encoding.
const BLOCK: usize = 256;

/// A non-decreasing sequence of byte positions.
#[derive(Default)]
pub(crate) struct Offsets {
    bases: Vec<u64>,
    within: Vec<u32>,
}

impl Offsets {
    /// Appends a position, no smaller than the last.
    pub fn push(&mut self, at: u64) {
        if self.within.len().is_multiple_of(BLOCK) {
            self.bases.push(at);
            self.within.push(0);
        } else {
            let base = *self.bases.last().expect("a block has its base");
            let within = u32::try_from(at - base).expect("a block of positions spans under 4 GiB");
            self.within.push(within);
        }
    }

    /// The `i`th position.
    pub fn get(&self, i: usize) -> u64 {
        self.bases[i / BLOCK] + self.within[i] as u64
    }

    /// How many positions there are.
    pub fn len(&self) -> usize {
        self.within.len()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.within.len() * 4 + self.bases.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_come_back_across_blocks() {
        let mut offsets = Offsets::default();
        let positions: Vec<u64> = (0..3 * BLOCK as u64 + 5).map(|i| i * i * 10_000).collect();
        positions.iter().for_each(|&p| offsets.push(p));
        assert_eq!(offsets.len(), positions.len());
        assert!(positions.iter().enumerate().all(|(i, &p)| offsets.get(i) == p));
        assert!(offsets.get(positions.len() - 1) > u32::MAX as u64);
    }
}
