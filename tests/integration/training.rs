//! Training end to end, through the examples' own code: the spiral classifier learns the
//! arms and draws a valid SVG of its decision regions; linear regression recovers w and b.

#[path = "../../examples/spiral.rs"]
#[allow(dead_code)]
mod spiral;

#[path = "../../examples/linear_regression.rs"]
#[allow(dead_code)]
mod linear_regression;

use std::sync::OnceLock;

use spiral::{GRID, N, Rule, Trained};

/// Adam at lr 0.05 for 100 full-batch steps: about 2 s in a debug build (SGD at lr 1.0 needs
/// about 1000 steps for 90%, which takes ~25 s unoptimised; see the release-only test below).
const QUICK_STEPS: usize = 100;

/// Runs `f` on a thread with a 16 MiB stack. In an unoptimised build, nalgebra's product of
/// static matrices keeps several copies of its 300×100 result (240 KB each) on the stack —
/// about 1.5 MB in one frame — which overflows a test thread's default 2 MiB. The examples
/// run on the main thread (8 MiB) and release builds need far less.
fn big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn_scoped(scope, f)
            .expect("spawn a thread")
            .join()
            .expect("the thread finished")
    })
}

/// One quick training run, shared by the tests that only read it.
fn quick() -> &'static (Trained, Vec<(usize, f64)>) {
    static QUICK: OnceLock<(Trained, Vec<(usize, f64)>)> = OnceLock::new();
    QUICK.get_or_init(|| {
        big_stack(|| {
            let mut log = Vec::new();
            let net = spiral::train(QUICK_STEPS, Rule::Adam(0.05), 25, |step, loss| {
                log.push((step, loss))
            });
            (net, log)
        })
    })
}

#[test]
fn a_short_adam_run_reaches_90_percent_training_accuracy() {
    let (net, log) = quick();
    assert!(net.accuracy > 0.9, "accuracy {}", net.accuracy);
    // Logged at step 0 and every 25 steps, ending with the final loss.
    let steps: Vec<usize> = log.iter().map(|&(step, _)| step).collect();
    assert_eq!(steps, [0, 25, 50, 75, 100]);
    assert_eq!(log.last().unwrap().1, net.loss);
    // The untrained net (weights 0.01·randn) is nearly uniform: loss ≈ ln 3.
    assert!(
        (log[0].1 - 3f64.ln()).abs() < 0.01,
        "initial loss {}",
        log[0].1
    );
    assert!(net.loss < 0.5, "final loss {}", net.loss);
}

#[test]
fn sgd_steps_lower_the_loss() {
    let mut log = Vec::new();
    let net =
        big_stack(|| spiral::train(20, Rule::Sgd(1.0), 10, |step, loss| log.push((step, loss))));
    let losses: Vec<f64> = log.iter().map(|&(_, loss)| loss).collect();
    assert_eq!(losses.len(), 3);
    assert!(losses[1] < losses[0] && losses[2] < losses[1], "{losses:?}");
    assert_eq!(losses[2], net.loss);
}

#[cfg_attr(
    debug_assertions,
    ignore = "10 000 steps take ~4 min unoptimised: run with `cargo test --release`"
)]
#[test]
fn the_notes_sgd_schedule_reaches_97_percent() {
    let net = big_stack(|| spiral::train(10_000, Rule::Sgd(1.0), 1000, |_, _| {}));
    assert!(net.accuracy >= 0.97, "accuracy {}", net.accuracy);
}

#[test]
fn the_picture_is_an_svg_with_every_point_and_the_learned_regions() {
    let (net, _) = quick();
    let path = std::env::temp_dir().join(format!("shapegrad-spiral-{}.svg", std::process::id()));
    big_stack(|| spiral::draw(net, &path).map_err(|e| e.to_string())).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_balanced(&svg);
    assert!(svg.contains(&format!("training accuracy {:.1}%", 100.0 * net.accuracy)));

    // One dot per point, 100 in each class's colour (see plot.rs).
    assert_eq!(svg.matches("<circle").count(), N);
    for colour in ["#D73027", "#1A9850", "#3154C8"] {
        let dots = svg
            .lines()
            .filter(|l| l.starts_with("<circle") && l.contains(colour))
            .count();
        assert_eq!(dots, N / 3, "dots of colour {colour}");
    }

    // The regions: all three classes, and most points lie in their own class's region.
    let regions = big_stack(|| spiral::decision_regions(net));
    assert_eq!((regions.len(), regions[0].len()), (GRID, GRID));
    for class in 0..3 {
        assert!(
            regions.iter().flatten().any(|&c| c == class),
            "class {class} has no region"
        );
    }
    let cell =
        |v: f64| ((v + spiral::plot::EXTENT) / (2.0 * spiral::plot::EXTENT) * GRID as f64) as usize;
    let inside = (0..N)
        .filter(|&i| regions[cell(net.x[(i, 1)])][cell(net.x[(i, 0)])] == net.labels.as_array()[i])
        .count();
    assert!(
        inside as f64 >= 0.85 * N as f64,
        "{inside} of {N} points in their region"
    );
}

#[test]
fn linear_regression_recovers_w_and_b_to_1e_minus_6() {
    let fit = linear_regression::fit();
    assert!(fit.max_error() <= 1e-6, "error {:e}", fit.max_error());
}

/// Every opened tag is closed in order (`<x …/>` closes itself); comments and `<?…?>` skipped.
fn assert_balanced(svg: &str) {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("a tag is closed with >") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "mismatched </{name}>");
        } else {
            open.push(tag.split_whitespace().next().unwrap());
        }
    }
    assert!(open.is_empty(), "unclosed tags {open:?}");
}
