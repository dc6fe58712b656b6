// (2×4) on (3×4) is 5×4, not the annotated 6×4: the computed sum is checked
use nalgebra::SMatrix;
use shapegrad::{Graph, Var};

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 2, 4>::zeros());
    let b = g.var(SMatrix::<f64, 3, 4>::zeros());
    let _c: Var<'_, f64, 6, 4> = a.vstack(b);
}
