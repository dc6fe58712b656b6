//! `cargo bench -p shapegrad-benches --bench storage`: why the graph reads its flat buffers as `&SMatrix` (through
//! the one `unsafe` module, `src/contract/layout.rs`) instead of nalgebra's safe views.
//!
//! The same small kernels the ops run, on the same entries of one flat buffer, two ways:
//! `ref`, the entries seen as `&SMatrix`/`&mut SMatrix` (what the graph does: the compiler
//! knows the output does not alias the inputs), and `view`, nalgebra's
//! `SMatrixView::from_slice`/`SMatrixViewMut::from_slice` (raw pointers inside: no such
//! knowledge). The run ends with `ratio storage <kernel> view/ref 1.9` lines.

#[path = "support/medians.rs"]
mod medians;

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::{SMatrix, SMatrixView, SMatrixViewMut};

/// A flat buffer holding a, b (or aᵀ) and the output, as a graph's values would.
struct Buffer<const R: usize, const K: usize, const C: usize> {
    flat: Vec<f64>,
}

impl<const R: usize, const K: usize, const C: usize> Buffer<R, K, C> {
    fn new() -> Self {
        let len = R * K + K * C + R * C;
        Buffer {
            flat: (0..len)
                .map(|i| ((i * 7919) % 13) as f64 * 0.1 - 0.6)
                .collect(),
        }
    }

    /// The left factor R×K, the right factor K×C and the output R×C, as views.
    fn views(
        &mut self,
    ) -> (
        SMatrixView<'_, f64, R, K>,
        SMatrixView<'_, f64, K, C>,
        SMatrixViewMut<'_, f64, R, C>,
    ) {
        let (inputs, out) = self.flat.split_at_mut(R * K + K * C);
        let (a, b) = inputs.split_at(R * K);
        (
            SMatrixView::from_slice(a),
            SMatrixView::from_slice(b),
            SMatrixViewMut::from_slice(out),
        )
    }
}

/// The same entries as owned matrices, used through references.
struct Owned<const R: usize, const K: usize, const C: usize> {
    a: SMatrix<f64, R, K>,
    b: SMatrix<f64, K, C>,
    out: SMatrix<f64, R, C>,
}

impl<const R: usize, const K: usize, const C: usize> Owned<R, K, C> {
    fn from(buffer: &Buffer<R, K, C>) -> Self {
        let f = &buffer.flat;
        Owned {
            a: SMatrix::from_column_slice(&f[..R * K]),
            b: SMatrix::from_column_slice(&f[R * K..R * K + K * C]),
            out: SMatrix::zeros(),
        }
    }
}

#[inline(never)]
fn gemm_ref<const R: usize, const K: usize, const C: usize>(
    a: &SMatrix<f64, R, K>,
    b: &SMatrix<f64, K, C>,
    out: &mut SMatrix<f64, R, C>,
) {
    out.gemm(1.0, a, b, 0.0);
}

#[inline(never)]
fn gemm_view<const R: usize, const K: usize, const C: usize>(
    a: SMatrixView<'_, f64, R, K>,
    b: SMatrixView<'_, f64, K, C>,
    mut out: SMatrixViewMut<'_, f64, R, C>,
) {
    out.gemm(1.0, &a, &b, 0.0);
}

/// `out = aᵀ·b` with a stored K×R: the shape of a matrix product's gradient dB = Aᵀ·dOut.
#[inline(never)]
fn gemm_tr_ref<const R: usize, const K: usize, const C: usize>(
    a_t: &SMatrix<f64, K, R>,
    b: &SMatrix<f64, K, C>,
    out: &mut SMatrix<f64, R, C>,
) {
    out.gemm_tr(1.0, a_t, b, 0.0);
}

#[inline(never)]
fn gemm_tr_view<const R: usize, const K: usize, const C: usize>(
    a_t: SMatrixView<'_, f64, K, R>,
    b: SMatrixView<'_, f64, K, C>,
    mut out: SMatrixViewMut<'_, f64, R, C>,
) {
    out.gemm_tr(1.0, &a_t, &b, 0.0);
}

/// An element-wise backward (ReLU's select): `out = [a > 0]·b`.
#[inline(never)]
fn select_ref<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    b: &SMatrix<f64, R, C>,
    out: &mut SMatrix<f64, R, C>,
) {
    out.zip_zip_apply(a, b, |o, a, b| *o = if a > 0.0 { b } else { 0.0 });
}

#[inline(never)]
fn select_view<const R: usize, const C: usize>(
    a: SMatrixView<'_, f64, R, C>,
    b: SMatrixView<'_, f64, R, C>,
    mut out: SMatrixViewMut<'_, f64, R, C>,
) {
    out.zip_zip_apply(&a, &b, |o, a, b| *o = if a > 0.0 { b } else { 0.0 });
}

/// `R×K·K×C` product, `(K×R)ᵀ·K×C` product and an R×C element-wise select (with K = C).
fn kernels<const R: usize, const K: usize, const C: usize>(
    c: &mut Criterion,
    ratios: &mut Vec<(String, String)>,
) {
    let mut buffer = Buffer::<R, K, C>::new();
    let mut owned = Owned::from(&buffer);
    let mut group = c.benchmark_group(format!("storage_{R}x{K}x{C}"));
    group.bench_function("gemm_ref", |bench| {
        bench.iter(|| gemm_ref(black_box(&owned.a), black_box(&owned.b), &mut owned.out))
    });
    group.bench_function("gemm_view", |bench| {
        bench.iter(|| {
            let (a, b, out) = black_box(&mut buffer).views();
            gemm_view(a, b, out)
        })
    });
    // aᵀ·b: a stored K×R, b K×C, the output R×C, back to back.
    let mut flat_t: Vec<f64> = (0..K * R + K * C + R * C)
        .map(|i| ((i * 104_729) % 17) as f64 * 0.1 - 0.8)
        .collect();
    let a_t = SMatrix::<f64, K, R>::from_column_slice(&flat_t[..K * R]);
    let b_k = SMatrix::<f64, K, C>::from_column_slice(&flat_t[K * R..K * R + K * C]);
    let mut out_t = SMatrix::<f64, R, C>::zeros();
    group.bench_function("gemm_tr_ref", |bench| {
        bench.iter(|| gemm_tr_ref(black_box(&a_t), black_box(&b_k), &mut out_t))
    });
    group.bench_function("gemm_tr_view", |bench| {
        bench.iter(|| {
            let (inputs, out) = black_box(&mut flat_t).split_at_mut(K * R + K * C);
            let (a_t, b) = inputs.split_at(K * R);
            gemm_tr_view::<R, K, C>(
                SMatrixView::from_slice(a_t),
                SMatrixView::from_slice(b),
                SMatrixViewMut::from_slice(out),
            )
        })
    });
    let f = &buffer.flat;
    let (sa, sb) = (
        SMatrix::<f64, R, C>::from_column_slice(&f[..R * C]),
        SMatrix::<f64, R, C>::from_column_slice(&f[R * C..2 * R * C]),
    );
    let mut s_out = SMatrix::<f64, R, C>::zeros();
    group.bench_function("select_ref", |bench| {
        bench.iter(|| select_ref(black_box(&sa), black_box(&sb), &mut s_out))
    });
    group.bench_function("select_view", |bench| {
        bench.iter(|| {
            let flat = &mut black_box(&mut buffer).flat;
            let (inputs, out) = flat.split_at_mut(2 * R * C);
            let (a, b) = inputs.split_at(R * C);
            select_view::<R, C>(
                SMatrixView::from_slice(a),
                SMatrixView::from_slice(b),
                SMatrixViewMut::from_slice(&mut out[..R * C]),
            )
        })
    });
    group.finish();
    for kernel in ["gemm", "gemm_tr", "select"] {
        ratios.push((format!("storage_{R}x{K}x{C}"), kernel.to_string()));
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    let mut ratios = Vec::new();
    kernels::<4, 4, 4>(&mut c, &mut ratios);
    kernels::<5, 10, 3>(&mut c, &mut ratios);
    kernels::<16, 16, 16>(&mut c, &mut ratios);
    c.final_summary();
    println!();
    for (group, kernel) in ratios {
        let (Some(by_ref), Some(by_view)) = (
            medians::median_ns(&group, &format!("{kernel}_ref")),
            medians::median_ns(&group, &format!("{kernel}_view")),
        ) else {
            continue;
        };
        println!("ratio {group} {kernel} view/ref {:.2}", by_view / by_ref);
    }
}
