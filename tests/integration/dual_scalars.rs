//! Scalars other than f32 and f64 (here num-dual's `Dual64`) take the `std` path of the
//! element-wise ops and nalgebra's static products: the values are exactly the scalar type's
//! own functions, and the dual parts carry exact derivatives.

use nalgebra::SMatrix;
use num_dual::{Dual64, DualNum};

const _: fn(Dual64) -> Dual64 = |x| x.tanh(); // DualNum's functions are the std path's
use shapegrad::Graph;
use shapegrad::ops::Tanh;

/// x with derivative direction 1 in every entry.
fn duals<const R: usize, const C: usize>(f: impl Fn(usize, usize) -> f64) -> SMatrix<Dual64, R, C> {
    SMatrix::from_fn(|r, c| Dual64::new(f(r, c), 1.0))
}

#[test]
fn element_wise_ops_on_duals_equal_the_dual_functions_exactly() {
    let g = Graph::<Dual64>::new();
    // 8×16 = 128 entries: long enough for the vectorised loops of f32/f64.
    let x = duals::<8, 16>(|r, c| (r as f64 - 3.5) * 0.7 + c as f64 * 0.05);
    let positive = duals::<8, 16>(|r, c| 0.1 + r as f64 + c as f64 * 0.3);
    let (xv, pv) = (g.var(x), g.var(positive));
    assert_eq!(xv.tanh().value(), x.map(|x| x.tanh()));
    assert_eq!(xv.exp().value(), x.map(|x| x.exp()));
    assert_eq!(pv.ln().value(), positive.map(|x| x.ln()));
    let one = Dual64::from(1.0);
    let sigmoid = |x: Dual64| {
        if x.re >= 0.0 {
            one / (one + (-x).exp())
        } else {
            x.exp() / (one + x.exp())
        }
    };
    assert_eq!(xv.sigmoid().value(), x.map(sigmoid));
    // The dual part of tanh is its derivative, 1 − tanh²: exact derivative propagation.
    for (y, x) in xv.tanh().value().iter().zip(x.iter()) {
        assert!((y.eps - (1.0 - x.re.tanh().powi(2))).abs() < 1e-15);
    }
    // softplus′ = σ, in the dual part.
    for (y, x) in xv.softplus().value().iter().zip(x.iter()) {
        assert!((y.eps - 1.0 / (1.0 + (-x.re).exp())).abs() < 1e-15);
    }
}

#[test]
fn a_dual_graph_with_a_product_above_the_gemm_threshold_and_a_fused_layer() {
    // 32×32·32×32 takes the blocked kernel for f64; for duals, nalgebra's static product.
    let g = Graph::<Dual64>::new();
    let x = duals::<32, 32>(|r, c| ((r * 7 + c * 3) % 11) as f64 / 11.0 - 0.5);
    let w =
        SMatrix::<Dual64, 32, 32>::from_fn(|r, c| Dual64::from(((r + 2 * c) % 5) as f64 * 0.05));
    let b = SMatrix::<Dual64, 1, 32>::from_fn(|_, c| Dual64::from(c as f64 * 0.01));
    let (xv, wv, bv) = (g.var(x), g.var(w), g.var(b));
    let y = (xv * wv).add_row_then(bv, Tanh);
    let want = (x * w).zip_map(&SMatrix::<Dual64, 32, 32>::from_fn(|_, c| b[c]), |z, b| {
        (z + b).tanh()
    });
    assert_eq!(y.value(), want);
    let grads = y.norm_squared().backward();
    // The same gradient as the f64 graph, in the real parts.
    let g64 = Graph::<f64>::new();
    let (x64, w64, b64) = (
        g64.var(x.map(|v| v.re)),
        g64.var(w.map(|v| v.re)),
        g64.var(b.map(|v| v.re)),
    );
    let grads64 = (x64 * w64)
        .add_row_then(b64, Tanh)
        .norm_squared()
        .backward();
    let real = grads.wrt(wv).map(|v| v.re);
    assert!((real - grads64.wrt(w64)).amax() < 1e-12);
    let real_b = grads.wrt(bv).map(|v| v.re);
    assert!((real_b - grads64.wrt(b64)).amax() < 1e-12);
    let _ = x64;
}
