// softmax cross-entropy of 0×3 logits: a mean over 0 rows (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::{Graph, Labels};

fn main() {
    let g = Graph::<f64>::new();
    let logits = g.var(SMatrix::<f64, 0, 3>::zeros());
    let _loss = logits.softmax_cross_entropy(&Labels::<0, 3>::new([]).unwrap());
}
