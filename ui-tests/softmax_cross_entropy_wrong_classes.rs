// (4×3) logits with labels over 5 classes: the class counts differ, 5 ≠ 3
use nalgebra::SMatrix;
use shapegrad::{Graph, Labels};

fn main() {
    let g = Graph::<f64>::new();
    let logits = g.var(SMatrix::<f64, 4, 3>::zeros());
    let labels = Labels::<4, 5>::new([0, 1, 4, 2]).unwrap();
    let _loss = logits.softmax_cross_entropy(&labels);
}
