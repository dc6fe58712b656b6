//! The Jacobian of a small vector function f: R³ → R⁴, by reverse mode next to its
//! central-difference estimate.
//!
//! f(x) = (A·x) ∘ (B·x) + C·x with A, B, C: 4×3, so the Jacobian is 4×3 (one row per output,
//! one column per input): J = diag(B·x)·A + diag(A·x)·B + C. `jacobian` runs four backward
//! passes on one graph (one per row); `numerical_jacobian` replays it six times (±h per input).
//!
//! Run: `cargo run --example jacobians`

use nalgebra::{Matrix4x3, SMatrix, Vector3};
use shapegrad::Graph;
use shapegrad::check::GradcheckOptions;
use shapegrad::jacobian::{jacobian, jacobian_check, numerical_jacobian};

fn main() {
    let a = Matrix4x3::new(1.0, 0.5, -1.0, 0.0, 2.0, 1.0, -0.5, 0.0, 0.3, 1.0, 1.0, 1.0);
    let b = Matrix4x3::new(0.2, -1.0, 0.0, 1.0, 0.0, 0.5, 0.0, 0.7, -0.4, 0.1, 0.1, 0.1);
    let c = Matrix4x3::new(0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, -1.0, 2.0, 0.5);

    let g = Graph::<f64>::new();
    let x = g.var_named("x", Vector3::new(0.5, -1.0, 2.0));
    let (ax, bx) = (g.constant(a) * x, g.constant(b) * x);
    let y = ax.component_mul(bx) + g.constant(c) * x; // y: 4×1

    let analytic: SMatrix<f64, 4, 3> = jacobian(y, x);
    let h = GradcheckOptions::<f64>::default().h;
    let numeric: SMatrix<f64, 4, 3> = numerical_jacobian(y, x, h);
    let closed_form = SMatrix::<f64, 4, 4>::from_diagonal(&bx.value()) * a
        + SMatrix::<f64, 4, 4>::from_diagonal(&ax.value()) * b
        + c;

    println!("f: R³ → R⁴ at x = {:?}", x.value().as_slice());
    println!("Jacobian ∂y/∂x (4×3): reverse mode | central differences (h = {h:.1e})");
    for i in 0..4 {
        let row = |m: &SMatrix<f64, 4, 3>| {
            (0..3)
                .map(|j| format!("{:9.5}", m[(i, j)]))
                .collect::<String>()
        };
        println!("  [{} ] | [{} ]", row(&analytic), row(&numeric));
    }
    println!(
        "largest |reverse mode − closed form|:        {:.1e}",
        (analytic - closed_form).abs().max()
    );
    println!(
        "largest |reverse mode − central difference|: {:.1e}",
        (analytic - numeric).abs().max()
    );
    println!("{}", jacobian_check(y, x, &GradcheckOptions::default()));
}
