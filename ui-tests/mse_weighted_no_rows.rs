// weighted mean squared error of 0×2 matrices: a weighted mean over 0 rows (const assertion, cargo build)
use nalgebra::SMatrix;
use shapegrad::Graph;

fn main() {
    let g = Graph::<f64>::new();
    let predictions = g.var(SMatrix::<f64, 0, 2>::zeros());
    let targets = g.constant(SMatrix::<f64, 0, 2>::zeros());
    let weights = g.constant(SMatrix::<f64, 0, 1>::zeros());
    let _loss = predictions.mse_weighted(targets, weights);
}
