// (4×3) logits with labels for 2 rows: one label per row, 2 ≠ 4
use nalgebra::SMatrix;
use shapegrad::{Graph, Labels};

fn main() {
    let g = Graph::<f64>::new();
    let logits = g.var(SMatrix::<f64, 4, 3>::zeros());
    let labels = Labels::<2, 3>::new([0, 1]).unwrap();
    let _loss = logits.softmax_cross_entropy(&labels);
}
