//! Every built-in op, generated: for random inputs and seeds, and at the ops' edge cases (ReLU
//! at 0, ties for max and min, ±∞ logits, the clamp's bounds, the norm at 0), the generated
//! `vjp` gives the graph's value and gradients bit for bit, in f64 and in f32: the generated
//! code calls the same `forward_into` and `backward_into` in the same order and adds at forks
//! in the same order.

#[path = "../src/op_cases.rs"]
mod op_cases;
#[path = "../src/support.rs"]
mod support;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/ops.rs"));
}

use op_cases::{Domain, Edge};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use shapegrad::{Graph, Real};

/// Entries of `shape`, drawn from `domain`.
fn draw(rng: &mut StdRng, (r, c): (usize, usize), domain: Domain) -> Vec<f64> {
    (0..r * c)
        .map(|_| match domain {
            Domain::Any => rng.random_range(-2.0..2.0),
            Domain::Positive => rng.random_range(0.25..2.25),
            Domain::Unit => rng.random_range(-0.9..0.9),
        })
        .collect()
}

/// The same bits (NaN equals NaN).
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// Runs case `k` in `T` at `inputs` (rounded to `T`) and `seed`, on the graph and through the
/// generated driver, and asserts they agree bit for bit.
fn compare<T: Real>(
    k: usize,
    driver: support::Driver,
    inputs: &[Vec<f64>],
    seed: &[f64],
    what: &str,
) {
    let g = Graph::<T>::new();
    let case = op_cases::build(&g, k);
    let round =
        |v: &Vec<f64>| -> Vec<f64> { v.iter().map(|&x| support::f(&support::t::<T>(x))).collect() };
    let inputs: Vec<Vec<f64>> = inputs.iter().map(round).collect();
    let seed = round(&seed.to_vec());
    for (input, value) in case.inputs.iter().zip(&inputs) {
        (input.set)(value);
    }
    let value = (case.output.value)();
    let grads = case.output.vjp(&case.inputs, &seed);
    let (gen_value, gen_grads) = driver(&inputs, &seed);
    assert!(
        same(&value, &gen_value),
        "{} ({what}): the generated value {gen_value:?} is not the graph's {value:?}",
        case.name
    );
    assert_eq!(
        grads.len(),
        gen_grads.len(),
        "{}: one gradient per input",
        case.name
    );
    for (k, (a, b)) in grads.iter().zip(&gen_grads).enumerate() {
        assert!(
            same(a, b),
            "{} ({what}): the generated gradient of input {k} {b:?} is not the graph's {a:?}",
            case.name
        );
    }
}

#[test]
fn every_op_case_agrees_with_the_graph_bit_for_bit() {
    assert_eq!(generated::OPS.len(), op_cases::COUNT);
    let mut rng = StdRng::seed_from_u64(19);
    for (k, &(name, f64_driver, f32_driver)) in generated::OPS.iter().enumerate() {
        let g = Graph::<f64>::new();
        let case = op_cases::build(&g, k);
        assert_eq!(case.name, name);
        let shapes: Vec<_> = case.inputs.iter().map(|i| i.shape).collect();
        let mut sets = Vec::new();
        for _ in 0..20 {
            let inputs: Vec<Vec<f64>> = shapes
                .iter()
                .zip(&case.domains)
                .map(|(&shape, &domain)| draw(&mut rng, shape, domain))
                .collect();
            sets.push(("random", inputs));
        }
        for edge in case.edges {
            let inputs = match edge {
                Edge::Values(values) => shapes
                    .iter()
                    .map(|(r, c)| values.iter().copied().cycle().take(r * c).collect())
                    .collect(),
                Edge::Equal => {
                    let one = draw(&mut rng, shapes[0], case.domains[0]);
                    vec![one; shapes.len()]
                }
            };
            sets.push(("edge", inputs));
        }
        for (what, inputs) in &sets {
            let seed = draw(&mut rng, case.output.shape, Domain::Any);
            compare::<f64>(k, f64_driver, inputs, &seed, what);
            compare::<f32>(k, f32_driver, inputs, &seed, what);
        }
    }
}

/// The ops `src/ops/mod.rs` exports, by the names of their structs.
fn exported_ops() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../src/ops/mod.rs");
    let text = std::fs::read_to_string(path).expect("shapegrad's src/ops/mod.rs");
    let ops = text.split("// Not ops").next().expect("the op list");
    ops.lines()
        .filter_map(|line| line.strip_prefix("pub use "))
        .map(|line| {
            let name = line.rsplit("::").next().expect("a path");
            name.trim_end_matches(';').to_string()
        })
        .collect()
}

#[test]
fn every_exported_op_has_a_case() {
    let out = env!("OUT_DIR");
    let mut texts = String::new();
    for &(name, _, _) in &generated::OPS {
        texts.push_str(&std::fs::read_to_string(format!("{out}/op_{name}.rs")).unwrap());
    }
    let missing: Vec<String> = exported_ops()
        .into_iter()
        .filter(|op| !texts.contains(&format!("shapegrad::ops::{op}")))
        .collect();
    assert!(
        missing.is_empty(),
        "no case of src/op_cases.rs generates {missing:?}: add one line per op there \
         (and `Op::to_rust` to the op)"
    );
}
