// The shape ops used correctly, including sizes past 127 where the op allows them.
use nalgebra::SMatrix;
use shapegrad::{Graph, Var};

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 3>::from_fn(|r, c| (r + 2 * c) as f64));
    let b = g.var(SMatrix::<f64, 4, 3>::repeat(1.0));
    let stacked: Var<'_, f64, 6, 3> = a.vstack(b);
    let wide: Var<'_, f64, 6, 5> = stacked.hstack(stacked.fixed_view::<6, 2, 0, 1>());
    let flat: Var<'_, f64, 30, 1> = wide.flatten();
    let big = g.var(SMatrix::<f64, 12, 12>::repeat(0.5));
    let big_flat: Var<'_, f64, 144, 1> = big.flatten();
    let loss = flat.sum() + big_flat.reshape::<1, 144>().row(0).sum() + a.column(2).sum();
    let report = shapegrad::check::gradcheck(loss, &Default::default());
    assert!(report.passed(), "{report}");
}
