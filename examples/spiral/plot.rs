//! The spiral example's picture: a classifier's decision regions with the data points on top,
//! as an SVG (plotters' SVG backend: no system libraries, text is left to the viewer's fonts).

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;

/// The square of the plane that is drawn: [−EXTENT, EXTENT]².
pub const EXTENT: f64 = 1.1;

/// Light fills for the regions and strong colours for the points, one per class.
const REGION: [RGBColor; 3] = [
    RGBColor(255, 205, 200),
    RGBColor(200, 235, 200),
    RGBColor(200, 215, 255),
];
const POINT: [RGBColor; 3] = [
    RGBColor(215, 48, 39),
    RGBColor(26, 152, 80),
    RGBColor(49, 84, 200),
];

/// The centre of cell `i` of `cells` cells across [−EXTENT, EXTENT].
pub fn cell_centre(i: usize, cells: usize) -> f64 {
    -EXTENT + (i as f64 + 0.5) * 2.0 * EXTENT / cells as f64
}

/// One rectangle per run of equal classes in a row of the grid (so the file stays small).
///
/// `regions[row][col]` is the class at `(cell_centre(col), cell_centre(row))`. Returns
/// `(x0, x1, y0, y1, class)` in plane coordinates.
pub fn region_runs(regions: &[Vec<usize>]) -> Vec<(f64, f64, f64, f64, usize)> {
    let rows = regions.len();
    let mut runs = Vec::new();
    for (row, classes) in regions.iter().enumerate() {
        let cols = classes.len();
        let edge = |i: usize, n: usize| -EXTENT + i as f64 * 2.0 * EXTENT / n as f64;
        let (y0, y1) = (edge(row, rows), edge(row + 1, rows));
        let mut start = 0;
        for col in 1..=cols {
            if col == cols || classes[col] != classes[start] {
                runs.push((edge(start, cols), edge(col, cols), y0, y1, classes[start]));
                start = col;
            }
        }
    }
    runs
}

/// Writes the picture to `path`: the regions (`regions[row][col]`, as in [`region_runs`]),
/// then one dot per point `(x₀, x₁, class)`, with `title` above. Classes must be below 3.
pub fn write_svg(
    path: &Path,
    title: &str,
    regions: &[Vec<usize>],
    points: &[(f64, f64, usize)],
) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (640, 660)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(-EXTENT..EXTENT, -EXTENT..EXTENT)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("x₀")
        .y_desc("x₁")
        .axis_desc_style(("sans-serif", 16))
        .draw()?;
    chart.draw_series(
        region_runs(regions)
            .into_iter()
            .map(|(x0, x1, y0, y1, c)| Rectangle::new([(x0, y0), (x1, y1)], REGION[c].filled())),
    )?;
    chart.draw_series(
        points
            .iter()
            .map(|&(x, y, c)| Circle::new((x, y), 3, POINT[c].filled())),
    )?;
    root.present()?;
    Ok(())
}
