//! `cargo bench --bench gemm`: where nalgebra's blocked GEMM (matrixmultiply, reached through
//! `Dyn` views) starts to beat nalgebra's static kernels, for n×n·n×n products in the three
//! orientations the ops use — `a·b` (forward), `a·bᵀ` (dA = dOut·Bᵀ) and `aᵀ·b`
//! (dB = Aᵀ·dOut) — in f64 and f32. It ends with one line per size and orientation,
//! `gemm f64 nt n=24 static/blocked 1.35` (above 1: the blocked GEMM is faster), which is how
//! `GEMM_MIN_DIM` in src/gemm.rs was chosen.

#[path = "support/medians.rs"]
mod medians;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::{Const, Dyn, MatrixView, MatrixViewMut, SMatrix};
use shapegrad::Real;

fn dyn_view<T: Real>(
    data: &[T],
    n: usize,
    transposed: bool,
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    let (rs, cs) = if transposed { (n, 1) } else { (1, n) };
    MatrixView::from_slice_with_strides_generic(data, Dyn(n), Dyn(n), Dyn(rs), Dyn(cs))
}

/// `c = a·b` (or with `a` or `b` transposed) the way src/gemm.rs does it, both paths.
fn product<T: Real, const N: usize>(
    c: &mut SMatrix<T, N, N>,
    a: &SMatrix<T, N, N>,
    b: &SMatrix<T, N, N>,
    orientation: &str,
    blocked: bool,
) {
    if blocked {
        let a = dyn_view(a.as_slice(), N, orientation == "tn");
        let b = dyn_view(b.as_slice(), N, orientation == "nt");
        let mut c = MatrixViewMut::from_slice_with_strides_generic(
            c.as_mut_slice(),
            Dyn(N),
            Dyn(N),
            Dyn(1),
            Dyn(N),
        );
        c.gemm(T::one(), &a, &b, T::zero());
    } else {
        match orientation {
            "nn" => c.gemm(T::one(), a, b, T::zero()),
            "nt" => {
                let b_t = MatrixView::from_slice_with_strides_generic(
                    b.as_slice(),
                    Const::<N>,
                    Const::<N>,
                    Const::<N>,
                    Const::<1>,
                );
                c.gemm(T::one(), a, &b_t, T::zero());
            }
            _ => c.gemm_tr(T::one(), a, b, T::zero()),
        }
    }
}

fn sizes<T: Real, const N: usize>(c: &mut Criterion, ty: &str, ran: &mut Vec<String>) {
    let a =
        SMatrix::<T, N, N>::from_fn(|r, k| nalgebra::convert(((r * 7 + k * 3) % 13) as f64 - 6.0));
    let b = SMatrix::<T, N, N>::from_fn(|r, k| nalgebra::convert(((r * 5 + k) % 11) as f64 - 5.0));
    let mut out = Box::new(SMatrix::<T, N, N>::zeros());
    for orientation in ["nn", "nt", "tn"] {
        let group_name = format!("gemm_{ty}_{orientation}_{N}");
        let mut group = c.benchmark_group(&group_name);
        for (name, blocked) in [("static", false), ("blocked", true)] {
            group.bench_function(name, |bench| {
                bench.iter(|| product(&mut out, black_box(&a), black_box(&b), orientation, blocked))
            });
        }
        group.finish();
        ran.push(group_name);
    }
}

fn run<T: Real>(c: &mut Criterion, ty: &str, ran: &mut Vec<String>) {
    sizes::<T, 8>(c, ty, ran);
    sizes::<T, 16>(c, ty, ran);
    sizes::<T, 20>(c, ty, ran);
    sizes::<T, 24>(c, ty, ran);
    sizes::<T, 32>(c, ty, ran);
    sizes::<T, 64>(c, ty, ran);
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&medians::output_directory())
        .sample_size(15)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(400))
        .configure_from_args();
    let mut ran = Vec::new();
    run::<f64>(&mut c, "f64", &mut ran);
    run::<f32>(&mut c, "f32", &mut ran);
    c.final_summary();
    println!();
    for group in ran {
        if let (Some(s), Some(b)) = (
            medians::median_ns(&group, "static"),
            medians::median_ns(&group, "blocked"),
        ) {
            let parts: Vec<&str> = group.split('_').collect();
            println!(
                "gemm {} {} n={} static/blocked {:.2} (static {s:.0} ns, blocked {b:.0} ns)",
                parts[1],
                parts[2],
                parts[3],
                s / b
            );
        }
    }
}
