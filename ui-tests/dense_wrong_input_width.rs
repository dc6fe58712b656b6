// Dense<2, 5> takes a batch of 2-wide rows: a 4×3 batch does not compile
use nalgebra::SMatrix;
use shapegrad::Graph;
use shapegrad::nn::Dense;

fn main() {
    let g = Graph::<f64>::new();
    let layer = Dense::<f64, 2, 5>::new(&g, "layer", 0);
    let x = g.constant(SMatrix::<f64, 4, 3>::zeros());
    let _y = layer.forward(x);
}
