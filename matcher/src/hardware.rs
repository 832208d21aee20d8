//! Machine configurations (what an ask offers) and requirements (what a bid needs), and the
//! hardware rule that relates them (matching rule 1).
//!
//! Names (GPU models, TEE kinds, regions) are interned to [`Sym`]s at the edge by
//! [`crate::Symbols`], so the engine compares integers, never strings.

/// An interned name: a GPU model, a TEE kind or a region.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Sym(pub u32);

/// One machine configuration, as offered by an ask. `mem_gib` and `gpu_mem_gib` are per machine
/// and per GPU respectively, as in the order stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Hardware {
    /// CPU cores.
    pub cpu: u32,
    /// Memory in GiB.
    pub mem_gib: u32,
    /// GPU model; `None` for a CPU-only machine.
    pub gpu: Option<Sym>,
    /// Number of GPUs.
    pub gpus: u32,
    /// Memory per GPU in GiB.
    pub gpu_mem_gib: u32,
    /// Trusted execution environment kind (`sgx`, `tdx`, ...), if any.
    pub tee: Option<Sym>,
    /// Region the machine runs in.
    pub region: Sym,
}

/// What each slot of a bid needs. Lists are kept sorted and free of duplicates by
/// [`Requirements::new`], so equal requirements compare and hash equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Requirements {
    /// Minimum CPU cores.
    pub cpu: u32,
    /// Minimum memory in GiB.
    pub mem_gib: u32,
    /// Acceptable GPU models; empty means no GPU is needed.
    pub gpu: Vec<Sym>,
    /// Minimum GPU count (at least 1 when `gpu` is non-empty).
    pub gpus: u32,
    /// Minimum memory per GPU in GiB.
    pub gpu_mem_gib: u32,
    /// Required TEE kind, if any.
    pub tee: Option<Sym>,
    /// Acceptable regions; empty means any.
    pub regions: Vec<Sym>,
}

impl Requirements {
    /// Builds requirements in canonical form (lists sorted, duplicates removed).
    pub fn new(
        cpu: u32,
        mem_gib: u32,
        mut gpu: Vec<Sym>,
        gpus: u32,
        gpu_mem_gib: u32,
        tee: Option<Sym>,
        mut regions: Vec<Sym>,
    ) -> Requirements {
        gpu.sort_unstable();
        gpu.dedup();
        regions.sort_unstable();
        regions.dedup();
        Requirements { cpu, mem_gib, gpu, gpus, gpu_mem_gib, tee, regions }
    }

    /// The first hardware check (in rule order) that `hw` fails, or `None` when `hw` satisfies
    /// these requirements (matching rule 1).
    pub fn first_mismatch(&self, hw: &Hardware) -> Option<Mismatch> {
        if hw.cpu < self.cpu {
            return Some(Mismatch::Cpu);
        }
        if hw.mem_gib < self.mem_gib {
            return Some(Mismatch::Mem);
        }
        if !self.gpu.is_empty() {
            match hw.gpu {
                Some(model) if self.gpu.contains(&model) => {}
                _ => return Some(Mismatch::GpuModel),
            }
            if hw.gpus < self.gpus.max(1) {
                return Some(Mismatch::GpuCount);
            }
            if hw.gpu_mem_gib < self.gpu_mem_gib {
                return Some(Mismatch::GpuMem);
            }
        }
        if self.tee.is_some() && hw.tee != self.tee {
            return Some(Mismatch::Tee);
        }
        if !self.regions.is_empty() && !self.regions.contains(&hw.region) {
            return Some(Mismatch::Region);
        }
        None
    }

    /// Every hardware check `hw` fails, in rule order; empty when `hw` satisfies these
    /// requirements. For explanations; matching uses [`Requirements::first_mismatch`].
    pub fn mismatches(&self, hw: &Hardware) -> Vec<Mismatch> {
        let mut failed = Vec::new();
        if hw.cpu < self.cpu {
            failed.push(Mismatch::Cpu);
        }
        if hw.mem_gib < self.mem_gib {
            failed.push(Mismatch::Mem);
        }
        if !self.gpu.is_empty() {
            if !hw.gpu.is_some_and(|model| self.gpu.contains(&model)) {
                failed.push(Mismatch::GpuModel);
            }
            if hw.gpus < self.gpus.max(1) {
                failed.push(Mismatch::GpuCount);
            }
            if hw.gpu_mem_gib < self.gpu_mem_gib {
                failed.push(Mismatch::GpuMem);
            }
        }
        if self.tee.is_some() && hw.tee != self.tee {
            failed.push(Mismatch::Tee);
        }
        if !self.regions.is_empty() && !self.regions.contains(&hw.region) {
            failed.push(Mismatch::Region);
        }
        failed
    }

    /// Whether the lists are in the canonical form [`Requirements::new`] gives (sorted, no
    /// duplicates): what a restored snapshot must hold, since equal requirements must hash equal.
    pub(crate) fn is_canonical(&self) -> bool {
        let strictly_sorted = |list: &[Sym]| list.windows(2).all(|pair| pair[0] < pair[1]);
        strictly_sorted(&self.gpu) && strictly_sorted(&self.regions)
    }

    /// Whether `hw` satisfies these requirements (matching rule 1).
    pub fn satisfied_by(&self, hw: &Hardware) -> bool {
        self.first_mismatch(hw).is_none()
    }
}

/// The hardware check an ask's machine failed for a bid, in rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mismatch {
    /// Fewer cores than required.
    Cpu,
    /// Less memory than required.
    Mem,
    /// No GPU, or a model not in the bid's list.
    GpuModel,
    /// Fewer GPUs than required.
    GpuCount,
    /// Less memory per GPU than required.
    GpuMem,
    /// A different (or no) TEE.
    Tee,
    /// A region not in the bid's list.
    Region,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a100(region: u32) -> Hardware {
        Hardware {
            cpu: 8,
            mem_gib: 32,
            gpu: Some(Sym(1)),
            gpus: 1,
            gpu_mem_gib: 80,
            tee: None,
            region: Sym(region),
        }
    }

    #[test]
    fn requirements_are_canonical() {
        let a = Requirements::new(1, 1, vec![Sym(3), Sym(1), Sym(3)], 0, 0, None, vec![]);
        let b = Requirements::new(1, 1, vec![Sym(1), Sym(3)], 0, 0, None, vec![]);
        assert_eq!(a, b);
    }

    #[test]
    fn gpu_list_requires_at_least_one_gpu_even_when_count_is_zero() {
        let req = Requirements::new(0, 0, vec![Sym(1)], 0, 0, None, vec![]);
        let mut hw = a100(7);
        assert!(req.satisfied_by(&hw));
        hw.gpus = 0;
        assert_eq!(req.first_mismatch(&hw), Some(Mismatch::GpuCount));
    }

    #[test]
    fn empty_gpu_list_ignores_gpu_fields() {
        let req = Requirements::new(8, 32, vec![], 4, 999, None, vec![]);
        assert!(req.satisfied_by(&a100(7)));
    }

    #[test]
    fn all_mismatches_start_with_the_first_one() {
        let hw = a100(7);
        let req = Requirements::new(9, 33, vec![Sym(2)], 2, 81, Some(Sym(9)), vec![Sym(8)]);
        let all = req.mismatches(&hw);
        assert_eq!(all.len(), 7);
        assert_eq!(all.first().copied(), req.first_mismatch(&hw));
        let fits = Requirements::new(8, 32, vec![Sym(1)], 1, 80, None, vec![Sym(7)]);
        assert!(fits.mismatches(&hw).is_empty());
    }

    #[test]
    fn each_mismatch_is_named_in_rule_order() {
        let hw = a100(7);
        let base = Requirements::new(8, 32, vec![Sym(1)], 1, 80, None, vec![Sym(7)]);
        assert_eq!(base.first_mismatch(&hw), None);
        let cases = [
            (Requirements { cpu: 9, ..base.clone() }, Mismatch::Cpu),
            (Requirements { mem_gib: 33, ..base.clone() }, Mismatch::Mem),
            (Requirements { gpu: vec![Sym(2)], ..base.clone() }, Mismatch::GpuModel),
            (Requirements { gpus: 2, ..base.clone() }, Mismatch::GpuCount),
            (Requirements { gpu_mem_gib: 81, ..base.clone() }, Mismatch::GpuMem),
            (Requirements { tee: Some(Sym(9)), ..base.clone() }, Mismatch::Tee),
            (Requirements { regions: vec![Sym(8)], ..base.clone() }, Mismatch::Region),
        ];
        for (req, want) in cases {
            assert_eq!(req.first_mismatch(&hw), Some(want));
            assert_eq!(req.mismatches(&hw), vec![want]);
        }
    }
}
