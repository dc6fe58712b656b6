// flatten of a 4×6 matrix has 24 entries, not the annotated 25 (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::{Graph, Var};

fn main() {
    let g = Graph::<f64>::new();
    let image = g.var(SMatrix::<f64, 4, 6>::zeros());
    let _flat: Var<'_, f64, 25, 1> = image.flatten();
}
