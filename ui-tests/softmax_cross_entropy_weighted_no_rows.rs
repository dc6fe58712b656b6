// weighted softmax cross-entropy of 0×3 logits: a weighted mean over 0 rows (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let logits = g.var(SMatrix::<f64, 0, 3>::zeros());
    let targets = g.constant(SMatrix::<f64, 0, 3>::zeros());
    let weights = g.constant(SMatrix::<f64, 0, 1>::zeros());
    let _loss = logits.softmax_cross_entropy_weighted(targets, weights);
}
