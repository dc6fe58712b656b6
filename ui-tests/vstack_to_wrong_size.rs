// vstack_to::<S>: (100×2) on (50×2) gives 150 rows, so a declared 149 is rejected when built
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let a = g.var(SMatrix::<f64, 100, 2>::zeros());
    let b = g.var(SMatrix::<f64, 50, 2>::zeros());
    let _c = a.vstack_to::<149, _>(b);
}
