//! `cargo bench -p shapegrad-benches --bench kernels`: the element-wise ops' forward (`Op::forward_into`, the
//! vectorised kernels for f32/f64) against `std`'s scalar function mapped over the same
//! 4096 entries (a 64×64 matrix, W3's layer), in the same run. It ends with one line per
//! function and type, `kernel tanh f64 4096 std/ours 9.8` (above 1: the kernel is faster).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use nalgebra::SMatrix;
use shapegrad::ops::{Exp, Ln, Sigmoid, Softplus, Tanh};
use shapegrad::{Op, Real};

type M<T> = SMatrix<T, 64, 64>;

fn output_directory() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/criterion"),
    }
}

fn median_ns(group: &str, bench: &str) -> Option<f64> {
    let path = output_directory()
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// Times `op.forward_into` against `out[i] = std(x[i])` over inputs spread on `[lo, hi)`.
fn pair<T: Real, O: Op<T, (M<T>,), Output = M<T>>>(
    c: &mut Criterion,
    ran: &mut Vec<String>,
    (name, ty): (&str, &str),
    op: O,
    std: fn(T) -> T,
    (lo, hi): (f64, f64),
) {
    let x = Box::new(M::<T>::from_fn(|r, k| {
        let u = ((r * 64 + k) * 2654435761 % 4096) as f64 / 4096.0;
        nalgebra::convert(lo + (hi - lo) * u)
    }));
    let mut out = Box::new(M::<T>::zeros());
    let group_name = format!("kernel_{name}_{ty}");
    let mut group = c.benchmark_group(&group_name);
    group.bench_function("std", |b| {
        b.iter(|| out.zip_apply(black_box(&*x), |y, x| *y = std(x)))
    });
    group.bench_function("ours", |b| {
        b.iter(|| op.forward_into((black_box(&*x),), &mut out))
    });
    group.finish();
    ran.push(group_name);
}

fn run<T: Real>(c: &mut Criterion, ran: &mut Vec<String>, ty: &str) {
    pair(c, ran, ("tanh", ty), Tanh, |x: T| x.tanh(), (-4.0, 4.0));
    pair(c, ran, ("exp", ty), Exp, |x: T| x.exp(), (-10.0, 10.0));
    pair(c, ran, ("ln", ty), Ln, |x: T| x.ln(), (1e-3, 1e3));
    let logistic = |x: T| {
        if x >= T::zero() {
            T::one() / (T::one() + (-x).exp())
        } else {
            x.exp() / (T::one() + x.exp())
        }
    };
    pair(c, ran, ("sigmoid", ty), Sigmoid, logistic, (-8.0, 8.0));
    let softplus = |x: T| x.max(T::zero()) + (-x.abs()).exp().ln_1p();
    pair(c, ran, ("softplus", ty), Softplus, softplus, (-8.0, 8.0));
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&output_directory())
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800))
        .configure_from_args();
    let mut ran = Vec::new();
    run::<f64>(&mut c, &mut ran, "f64");
    run::<f32>(&mut c, &mut ran, "f32");
    c.final_summary();
    println!();
    for group in ran {
        if let (Some(s), Some(o)) = (median_ns(&group, "std"), median_ns(&group, "ours")) {
            let parts: Vec<&str> = group.split('_').collect();
            println!(
                "kernel {} {} 4096 std/ours {:.1} (std {:.0} ns, ours {:.0} ns)",
                parts[1],
                parts[2],
                s / o,
                s,
                o
            );
        }
    }
}
