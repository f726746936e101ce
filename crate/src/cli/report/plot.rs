//! Figures for VALIDATION.md: plotters draws SVG, resvg turns it into PNG.
//! Text in the PNG needs a TrueType font on the system (Debian:
//! fonts-dejavu-core, installed with Chromium); without one the SVGs are
//! still written and the PNG step says why it could not run.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::cli::{Failure, Result};

pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const VERMILION: RGBColor = RGBColor(213, 94, 0);
pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);

const W: u32 = 900;
const H: u32 = 420;

fn draw_err<E: std::fmt::Debug>(e: E) -> Failure {
    Failure::Run(format!("drawing a figure: {e:?}"))
}

pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// Lines and markers over hours, with labelled vertical lines.
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    y_max: f64,
    lines: &[Series],
    markers: &[Series],
    marks: &[(f64, &str)],
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let all = lines.iter().chain(markers).flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, 0.0..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        for &(x, label) in marks {
            chart.draw_series(LineSeries::new(vec![(x, 0.0), (x, y_max)], GREY.stroke_width(1))).map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (x, y_max * 0.97),
                    ("sans-serif", 13).into_font().color(&GREY),
                )))
                .map_err(draw_err)?;
        }
        for s in lines {
            let color = s.color;
            let drawn = chart
                .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))
                .map_err(draw_err)?;
            // Unnamed lines (further seeds) share the first one's legend entry.
            if !s.name.is_empty() {
                drawn
                    .label(&s.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
            }
        }
        for s in markers {
            let color = s.color;
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 5, color.filled())))
                .map_err(draw_err)?
                .label(&s.name)
                .legend(move |(x, y)| Circle::new((x + 9, y), 5, color.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .position(emptiest_corner(lines.iter().chain(markers), marks, (x0, x1), y_max))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// The corner of the plot the fewest points fall in, for the legend (the
/// lower left one when several are as empty). A corner with the label of a
/// vertical mark in it is taken only if every corner has one.
fn emptiest_corner<'a>(
    series: impl Iterator<Item = &'a Series>,
    marks: &[(f64, &str)],
    (x0, x1): (f64, f64),
    y_max: f64,
) -> SeriesLabelPosition {
    let mut counts = [0usize; 4];
    let span = (x1 - x0).max(f64::MIN_POSITIVE);
    let corner = |x: f64, y: f64| {
        let (fx, fy) = ((x - x0) / span, y / y_max);
        // The legend box covers about the outer 45% across and 30% up or down.
        Some(outer(fx, 0.45)? + 2 * outer(fy, 0.3)?)
    };
    for &(x, y) in series.flat_map(|s| s.points.iter()) {
        if let Some(k) = corner(x, y) {
            counts[k] += 1;
        }
    }
    // Mark labels are written near the top of their line.
    for &(x, _) in marks {
        if let Some(k) = corner(x, y_max * 0.97) {
            counts[k] = usize::MAX;
        }
    }
    // Lower left, lower right, upper left, upper right.
    let corners = [
        SeriesLabelPosition::LowerLeft,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::UpperRight,
    ];
    let best = (0..4).min_by_key(|&k| counts[k]).unwrap_or(0);
    corners[best].clone()
}

/// 0 in the low outer band of [0, 1] `edge` wide, 1 in the high one.
fn outer(f: f64, edge: f64) -> Option<usize> {
    if f < edge {
        Some(0)
    } else if f > 1.0 - edge {
        Some(1)
    } else {
        None
    }
}

/// One horizontal bar per row, with a text annotation at its end.
pub fn bars(title: &str, x_label: &str, x_max: f64, rows: &[(String, f64, RGBColor, String)]) -> Result<String> {
    let height = 70 + 34 * rows.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let n = rows.len();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(330)
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .y_labels(n * 2 + 1)
            .y_label_formatter(&|y| {
                let i = (y - 0.5).round();
                if (y - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    rows[n - 1 - i as usize].0.clone()
                } else {
                    String::new()
                }
            })
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        for (k, (_, value, color, note)) in rows.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y + 0.2), (value.min(x_max), y + 0.8)],
                    color.filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    note.clone(),
                    (value.min(x_max) + x_max * 0.01, y + 0.35),
                    ("sans-serif", 13),
                )))
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// One cell of a heat map: side-by-side stripes of colour (one per run,
/// so a cell whose runs ended differently shows it) and a label.
pub struct Cell {
    pub stripes: Vec<RGBColor>,
    pub text: String,
}

/// A heat map's legend: its classes by colour, then a note.
pub struct Legend<'a> {
    pub classes: &'a [(RGBColor, &'a str)],
    pub note: &'a str,
}

/// A grid of cells coloured by class, with the class legend below.
pub fn heatmap(
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[String],
    ys: &[String],
    cells: &[Vec<Cell>],
    legend: &Legend,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (chart_area, legend_area) = root.split_vertically(470);
        let (nx, ny) = (xs.len(), ys.len());
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&|x| label_at(xs, *x))
            .y_label_formatter(&|y| label_at(ys, *y))
            .draw()
            .map_err(draw_err)?;
        let centred = ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
        for (j, row) in cells.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let w = 0.94 / cell.stripes.len().max(1) as f64;
                // A hairline between stripes, so that runs of the same colour still count.
                let gap = if cell.stripes.len() > 1 { (0.1 * w).min(0.006) } else { 0.0 };
                for (k, color) in cell.stripes.iter().enumerate() {
                    let left = x + 0.03 + k as f64 * w;
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(left + gap, y + 0.03), (left + w - gap, y + 0.97)],
                            color.filled(),
                        )))
                        .map_err(draw_err)?;
                }
                chart
                    .draw_series(std::iter::once(Text::new(cell.text.clone(), (x + 0.5, y + 0.5), centred.clone())))
                    .map_err(draw_err)?;
            }
        }
        let mut x = 80;
        for (color, name) in legend.classes {
            legend_area.draw(&Rectangle::new([(x, 14), (x + 16, 30)], color.filled())).map_err(draw_err)?;
            legend_area.draw(&Text::new(name.to_string(), (x + 22, 16), ("sans-serif", 14))).map_err(draw_err)?;
            x += 30 + 8 * name.len() as i32;
        }
        legend_area.draw(&Text::new(legend.note.to_string(), (x, 16), ("sans-serif", 14))).map_err(draw_err)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

fn label_at(labels: &[String], v: f64) -> String {
    let i = (v - 0.5).round();
    if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
        labels[i as usize].clone()
    } else {
        String::new()
    }
}

/// Writes `<base>.svg` and `<base>.png`; a missing font only skips the PNG
/// (the returned note says so).
pub fn write(dir: &Path, base: &str, svg: &str) -> Result<Option<String>> {
    let svg_path = dir.join(format!("{base}.svg"));
    std::fs::write(&svg_path, svg).map_err(|e| Failure::Run(format!("writing {}: {e}", svg_path.display())))?;
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    // The figures ask for "sans-serif"; map it to a sans face that is there.
    let families: Vec<String> =
        opt.fontdb.faces().flat_map(|f| f.families.iter().map(|(name, _)| name.clone())).collect();
    let sans = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "FreeSans", "Arial"]
        .iter()
        .find(|want| families.iter().any(|f| f == *want))
        .map(|f| f.to_string())
        .or_else(|| families.first().cloned());
    if let Some(sans) = sans {
        opt.fontdb_mut().set_sans_serif_family(sans);
    }
    if opt.fontdb.is_empty() {
        return Ok(Some(format!(
            "{base}.png not written: no TrueType font found on this system (Debian: apt-get install fonts-dejavu-core)"
        )));
    }
    let tree =
        resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| Failure::Run(format!("reading the SVG of {base}: {e}")))?;
    let size = tree.size().to_int_size();
    let scale = 2.0;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new((size.width() as f32 * scale) as u32, (size.height() as f32 * scale) as u32)
            .ok_or_else(|| Failure::Run(format!("{base}: empty figure")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|e| Failure::Run(format!("encoding {base}.png: {e}")))?;
    let png_path = dir.join(format!("{base}.png"));
    std::fs::write(&png_path, png).map_err(|e| Failure::Run(format!("writing {}: {e}", png_path.display())))?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(f64, f64)]) -> Series {
        Series { name: String::new(), color: BLACK, points: points.to_vec() }
    }

    #[test]
    fn the_legend_goes_to_the_emptiest_corner_and_never_over_a_marks_label() {
        // Data low on both sides and high on the right: the upper left is empty.
        let data = series(&[(0.0, 0.1), (10.0, 0.1), (9.0, 1.0), (10.0, 1.0)]);
        let pick = |marks: &[(f64, &str)]| emptiest_corner(std::iter::once(&data), marks, (0.0, 10.0), 1.0);
        assert!(matches!(pick(&[]), SeriesLabelPosition::UpperLeft));
        // A mark near the left edge writes its label in the upper left; the
        // legend then takes the corner with the fewest points of the rest.
        let data = series(&[(0.0, 0.1), (1.0, 0.1), (10.0, 0.1), (9.0, 0.1), (9.0, 1.0)]);
        let pick = |marks: &[(f64, &str)]| emptiest_corner(std::iter::once(&data), marks, (0.0, 10.0), 1.0);
        assert!(matches!(pick(&[]), SeriesLabelPosition::UpperLeft));
        assert!(matches!(pick(&[(1.0, "trigger")]), SeriesLabelPosition::UpperRight));
        // A mark in the middle covers no corner.
        assert!(matches!(pick(&[(5.0, "middle")]), SeriesLabelPosition::UpperLeft));
    }
}
