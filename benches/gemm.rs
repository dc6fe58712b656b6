//! `cargo bench -p shapegrad-benches --bench gemm`: nalgebra's static kernels (`static`), matrixmultiply reached
//! through nalgebra's `Dyn` views (`blocked`, which allocates a packing buffer per call) and
//! shapegrad's own kernel (`kernel`, src/kernels/gemm_kernel.rs, compiled into this benchmark
//! with the files it uses, as `f64::gemm` and `f32::gemm` of src/kernels/float.rs call it) for
//! n×n·n×n products in the three orientations the ops use — `a·b` (forward), `a·bᵀ`
//! (dA = dOut·Bᵀ) and `aᵀ·b` (dB = Aᵀ·dOut) — in f64 and f32. It ends with one line per size
//! and orientation, `gemm f64 nt n=24 static/kernel 1.35 blocked/kernel 1.10` (above 1: the
//! kernel is faster), which is how `gemm_min_dim` in src/kernels/gemm.rs was chosen.

// Not all of the files' items are used here (and their unit tests, under `cfg(test)`, do not
// run here).
#[allow(dead_code, unused_imports)]
#[path = "support/kernels.rs"]
mod kernels;

#[path = "support/medians.rs"]
mod medians;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::{Const, Dyn, MatrixView, MatrixViewMut, SMatrix};
use shapegrad::Real;

use kernels::float::Float;
use kernels::gemm_kernel;

fn dyn_view<T: Real>(
    data: &[T],
    n: usize,
    transposed: bool,
) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    let (rs, cs) = if transposed { (n, 1) } else { (1, n) };
    MatrixView::from_slice_with_strides_generic(data, Dyn(n), Dyn(n), Dyn(rs), Dyn(cs))
}

/// `c = a·b` by the own kernel (with `S`'s micro-tile), `a` or `b` transposed by strides.
fn kernel<S: Float, const N: usize>(
    c: &mut SMatrix<S, N, N>,
    a: &SMatrix<S, N, N>,
    b: &SMatrix<S, N, N>,
    orientation: &str,
) {
    let operand = |data, transposed: bool| {
        let (rs, cs) = if transposed { (N, 1) } else { (1, N) };
        gemm_kernel::Strided {
            data,
            rows: N,
            cols: N,
            rs,
            cs,
        }
    };
    let a = operand(a.as_slice(), orientation == "tn");
    let b = operand(b.as_slice(), orientation == "nt");
    S::gemm(c.as_mut_slice(), a, b, false);
}

/// `c = a·b` (or with `a` or `b` transposed) by nalgebra's static kernels or matrixmultiply.
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

fn sizes<T: Float, const N: usize>(c: &mut Criterion, ty: &str, ran: &mut Vec<String>) {
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
        group.bench_function("kernel", |bench| {
            bench.iter(|| kernel::<T, N>(&mut out, black_box(&a), black_box(&b), orientation))
        });
        group.finish();
        ran.push(group_name);
    }
}

/// One thin product of the spiral net (W2 in `benches/workloads`), `c` (R×C) from `a` and `b`
/// stored as the ops store them: `nn` a R×K, b K×C; `nt` (c = a·bᵀ) a R×K, b C×K; `tn`
/// (c = aᵀ·b) a K×R, b K×C. Times nalgebra's static path (as src/kernels/gemm.rs calls it:
/// `gemm`, `gemm` on a strided view of bᵀ, `gemm_tr`) against the own kernel.
fn thin<T: Float, const R: usize, const K: usize, const C: usize>(
    c: &mut Criterion,
    ty: &str,
    orientation: &'static str,
    ran: &mut Vec<String>,
) {
    let (ra, ca) = if orientation == "tn" { (K, R) } else { (R, K) };
    let (rb, cb) = if orientation == "nt" { (C, K) } else { (K, C) };
    let fill = |n: usize, m: usize| -> Vec<T> {
        (0..n * m)
            .map(|i| nalgebra::convert(((i * 7) % 13) as f64 - 6.0))
            .collect()
    };
    let (a, b) = (fill(ra, ca), fill(rb, cb));
    let mut out = Box::new(SMatrix::<T, R, C>::zeros());
    let operand = |data, (rows, cols): (usize, usize), transposed: bool| {
        if transposed {
            gemm_kernel::Strided {
                data,
                rows: cols,
                cols: rows,
                rs: rows,
                cs: 1,
            }
        } else {
            gemm_kernel::Strided {
                data,
                rows,
                cols,
                rs: 1,
                cs: rows,
            }
        }
    };
    let group_name = format!("gemm_{ty}_{orientation}_{R}x{K}x{C}");
    let mut group = c.benchmark_group(&group_name);
    group.bench_function("static", |bench| {
        bench.iter(|| {
            let (a, b) = black_box((&a[..], &b[..]));
            let one = T::one();
            match orientation {
                "nn" => {
                    let a = MatrixView::<T, Const<R>, Const<K>>::from_slice(a);
                    let b = MatrixView::<T, Const<K>, Const<C>>::from_slice(b);
                    out.gemm(one, &a, &b, T::zero());
                }
                "nt" => {
                    let a = MatrixView::<T, Const<R>, Const<K>>::from_slice(a);
                    let b_t = MatrixView::from_slice_with_strides_generic(
                        b, Const::<K>, Const::<C>, Const::<C>, Const::<1>,
                    );
                    out.gemm(one, &a, &b_t, T::zero());
                }
                _ => {
                    let a = MatrixView::<T, Const<K>, Const<R>>::from_slice(a);
                    let b = MatrixView::<T, Const<K>, Const<C>>::from_slice(b);
                    out.gemm_tr(one, &a, &b, T::zero());
                }
            }
        })
    });
    group.bench_function("kernel", |bench| {
        bench.iter(|| {
            let (a, b) = black_box((&a[..], &b[..]));
            let a = operand(a, (ra, ca), orientation == "tn");
            let b = operand(b, (rb, cb), orientation == "nt");
            T::gemm(out.as_mut_slice(), a, b, false);
        })
    });
    group.finish();
    ran.push(group_name);
}

/// The thin products of W2's forward (`nn`) and backward (`nt`: dH = dS·W2ᵀ; `tn`: dW = Xᵀ·dZ).
fn thin_shapes<T: Float>(c: &mut Criterion, ty: &str, ran: &mut Vec<String>) {
    thin::<T, 300, 2, 100>(c, ty, "nn", ran);
    thin::<T, 300, 100, 3>(c, ty, "nn", ran);
    thin::<T, 300, 3, 100>(c, ty, "nt", ran);
    thin::<T, 100, 300, 3>(c, ty, "tn", ran);
    thin::<T, 2, 300, 100>(c, ty, "tn", ran);
}

fn run<T: Float>(c: &mut Criterion, ty: &str, ran: &mut Vec<String>) {
    thin_shapes::<T>(c, ty, ran);
    sizes::<T, 8>(c, ty, ran);
    sizes::<T, 12>(c, ty, ran);
    sizes::<T, 16>(c, ty, ran);
    sizes::<T, 24>(c, ty, ran);
    sizes::<T, 32>(c, ty, ran);
    sizes::<T, 40>(c, ty, ran);
    sizes::<T, 48>(c, ty, ran);
    sizes::<T, 64>(c, ty, ran);
    sizes::<T, 128>(c, ty, ran);
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
        let time = |name| medians::median_ns(&group, name);
        let parts: Vec<&str> = group.split('_').collect();
        if let (None, Some(s), Some(k)) = (time("blocked"), time("static"), time("kernel")) {
            println!(
                "gemm {} {} {} static/kernel {:.2} (static {s:.0} ns, kernel {k:.0} ns)",
                parts[1],
                parts[2],
                parts[3],
                s / k
            );
        }
        if let (Some(s), Some(b), Some(k)) = (time("static"), time("blocked"), time("kernel")) {
            println!(
                "gemm {} {} n={} static/kernel {:.2} blocked/kernel {:.2} \
                 (static {s:.0} ns, blocked {b:.0} ns, kernel {k:.0} ns)",
                parts[1],
                parts[2],
                parts[3],
                s / k,
                b / k
            );
        }
    }
}
