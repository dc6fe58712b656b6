//! Shared pieces: criterion settings, random matrices, gradient comparison, ratio lines.

use std::sync::Mutex;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, measurement::WallTime};
use nalgebra::SMatrix;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::Real;

/// A benchmark that ran in this process.
#[derive(Clone, Copy, PartialEq)]
struct Ran {
    workload: &'static str,
    ty: &'static str,
    contender: &'static str,
    /// The contender the ratio is taken against.
    baseline: &'static str,
    /// The graph's op nodes (leaves not counted).
    ops: usize,
}

static RAN: Mutex<Vec<Ran>> = Mutex::new(Vec::new());

/// Extra ratio lines: (workload, type, contender, baseline).
static ALSO: Mutex<Vec<(&str, &str, &str, &str)>> = Mutex::new(Vec::new());

pub fn criterion() -> Criterion {
    Criterion::default()
        .output_directory(&crate::medians::output_directory())
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .nresamples(10_000)
}

/// A workload's benchmark group, `W1_f64`, which records the contenders that ran (criterion
/// skips those a command-line filter excludes).
pub struct Group<'c> {
    inner: BenchmarkGroup<'c, WallTime>,
    workload: &'static str,
    ty: &'static str,
    baseline: &'static str,
    ops: usize,
}

/// Opens the group of `workload` in `ty`, whose ratios are taken against the hand-written
/// contender `hand`; `ops` is the number of the graph's op nodes (leaves not counted).
pub fn group<'c>(
    c: &'c mut Criterion,
    workload: &'static str,
    ty: &'static str,
    ops: usize,
) -> Group<'c> {
    group_against(c, workload, ty, ops, "hand")
}

/// [`group`] with the ratios taken against the contender `baseline`.
pub fn group_against<'c>(
    c: &'c mut Criterion,
    workload: &'static str,
    ty: &'static str,
    ops: usize,
    baseline: &'static str,
) -> Group<'c> {
    Group {
        inner: c.benchmark_group(format!("{workload}_{ty}")),
        workload,
        ty,
        baseline,
        ops,
    }
}

impl Group<'_> {
    /// Times `step` as the contender `name` (`hand`, `fresh`, `replay`, …).
    pub fn run<O>(&mut self, name: &'static str, mut step: impl FnMut() -> O) {
        let key = Ran {
            workload: self.workload,
            ty: self.ty,
            contender: name,
            baseline: self.baseline,
            ops: self.ops,
        };
        self.inner.bench_function(name, |b| {
            RAN.lock().unwrap().push(key);
            b.iter(&mut step)
        });
    }

    /// Also prints `contender`'s ratio to `baseline` (another contender of this group).
    pub fn also(&mut self, contender: &'static str, baseline: &'static str) {
        ALSO.lock()
            .unwrap()
            .push((self.workload, self.ty, contender, baseline));
    }

    pub fn finish(self) {
        self.inner.finish();
    }
}

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

pub fn t<T: Real>(x: f64) -> T {
    nalgebra::convert(x)
}

/// Entries uniform in [-scale, scale).
pub fn random<T: Real, const R: usize, const C: usize>(
    rng: &mut StdRng,
    scale: f64,
) -> SMatrix<T, R, C> {
    SMatrix::from_fn(|_, _| t(rng.random_range(-scale..scale)))
}

/// Asserts `got` equals `want` to `1e-10` (f64) or `1e-4` (f32) relative to `want`'s largest
/// entry.
pub fn assert_close<T: Real, const R: usize, const C: usize>(
    what: &str,
    got: &SMatrix<T, R, C>,
    want: &SMatrix<T, R, C>,
) {
    let tol: T = if std::mem::size_of::<T>() == 8 {
        t(1e-10)
    } else {
        t(1e-4)
    };
    let err = (got - want).amax();
    let scale = want.amax().max(t(1e-300));
    assert!(
        err <= tol * scale,
        "{what}: the contender's gradient differs from the hand-written one by {err} (scale {scale})"
    );
}

/// One line per workload and contender: `ratio W2 replay/hand 0.93 f64`, then the extra
/// ratios of [`Group::also`] (for contenders that ran).
pub fn print_ratios() {
    println!();
    let mut ran = RAN.lock().unwrap().clone();
    ran.dedup();
    let ran_contender = |w: &str, ty: &str, c: &str| {
        ran.iter()
            .any(|r| (r.workload, r.ty, r.contender) == (w, ty, c))
    };
    let also: Vec<_> = ALSO.lock().unwrap().clone();
    let has = |r: &Ran, c: &str| {
        ran.iter()
            .any(|o| (o.workload, o.ty, o.contender) == (r.workload, r.ty, c))
    };
    for r in &ran {
        if r.contender == r.baseline || !has(r, r.baseline) {
            continue;
        }
        let group = format!("{}_{}", r.workload, r.ty);
        let (Some(base), Some(time)) = (
            crate::medians::median_ns(&group, r.baseline),
            crate::medians::median_ns(&group, r.contender),
        ) else {
            continue;
        };
        println!(
            "ratio {} {}/{} {:.2} {}",
            r.workload,
            r.contender,
            r.baseline,
            time / base,
            r.ty
        );
        if r.workload == "W4" {
            // (contender − hand) ÷ the op nodes, leaves not counted.
            println!(
                "ns-per-op {} {} {:.1} {} (hand {base:.1} ns, {} {time:.1} ns, {} op nodes)",
                r.workload,
                r.contender,
                (time - base) / r.ops as f64,
                r.ty,
                r.contender,
                r.ops
            );
        }
    }
    for (workload, ty, contender, baseline) in also {
        if !(ran_contender(workload, ty, contender) && ran_contender(workload, ty, baseline)) {
            continue;
        }
        let group = format!("{workload}_{ty}");
        if let (Some(base), Some(time)) = (
            crate::medians::median_ns(&group, baseline),
            crate::medians::median_ns(&group, contender),
        ) {
            println!(
                "ratio {workload} {contender}/{baseline} {:.2} {ty}",
                time / base
            );
        }
    }
}
