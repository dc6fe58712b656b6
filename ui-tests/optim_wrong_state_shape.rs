// A rule's state has its parameter's shape: Adam's state for a 4×1 parameter cannot step a 1×4
use nalgebra::SMatrix;
use shapegrad::optim::{Adam, AdamState, UpdateRule};

fn main() {
    let adam = Adam::<f64>::default();
    let mut state: AdamState<f64, 4, 1> = adam.new_state();
    let mut w = SMatrix::<f64, 1, 4>::zeros();
    adam.update(&mut state, &mut w, &SMatrix::<f64, 1, 4>::zeros());
}
