//! The names renamed when the crate was laid out in layers still work, as deprecated aliases
//! of the new ones, and give the same results.
#![allow(deprecated)]

use nalgebra::{Matrix1, Matrix2x3};
use shapegrad::{Graph, Labels};

#[test]
fn nn_predict_is_labels_argmax() {
    let scores = Matrix2x3::new(0.1, 2.0, -1.0, 5.0, 5.0, 4.0);
    assert_eq!(shapegrad::nn::predict(&scores), Labels::argmax(&scores));
    assert_eq!(Labels::argmax(&scores).as_array(), &[1, 0]);
}

#[test]
fn the_dot_module_draws_what_viz_draws() {
    let g = Graph::<f64>::new();
    let a = g.var_named("a", Matrix1::new(2.0));
    drop(a.component_mul(a).backward());
    let old = shapegrad::dot::to_dot_many(&[(&g, &shapegrad::dot::DotOptions::new().title("a²"))]);
    let new = shapegrad::viz::to_dot_many(&[(&g, &shapegrad::viz::DotOptions::new().title("a²"))]);
    assert_eq!(old, new);
    assert!(new.contains("value = 4"));
}
