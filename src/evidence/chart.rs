//! The report's timeline: bounces per day (per month when the run spans more than 120
//! days) as bar geometry for an inline SVG. Only numbers and dates are computed here; the
//! template draws them, so no text ever reaches the SVG unescaped.

use serde::Serialize;

use super::utc;

/// Size of the drawing, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;
/// Longest span drawn per day.
const MAX_DAYS: i64 = 120;
/// Most x-axis labels written.
const MAX_LABELS: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    pub width: String,
    pub height: String,
    /// `day` or `month`.
    pub unit: &'static str,
    pub bars: Vec<Bar>,
    pub x_labels: Vec<Label>,
    pub y_ticks: Vec<Label>,
    /// Axis line coordinates.
    pub x0: String,
    pub x1: String,
    pub y0: String,
    pub y1: String,
    /// Messages with a date, and without.
    pub dated: usize,
    pub undated: usize,
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

/// The timeline of messages dated at the given Unix times (`None`: no usable date).
pub fn timeline(times: &[Option<i64>]) -> Timeline {
    let dated: Vec<i64> = times.iter().flatten().copied().collect();
    let undated = times.len() - dated.len();
    let days: Vec<i64> = dated.iter().map(|t| t.div_euclid(86_400)).collect();
    let (lo, hi) = match (days.iter().min(), days.iter().max()) {
        (Some(lo), Some(hi)) => (*lo, *hi),
        _ => return empty(undated),
    };
    let by_month = hi - lo + 1 > MAX_DAYS;
    let key = |day: i64| if by_month { month_of(day) } else { day };
    let (first, last) = (key(lo), key(hi));
    let mut counts = vec![0usize; (last - first + 1) as usize];
    for day in &days {
        counts[(key(*day) - first) as usize] += 1;
    }
    let label = |k: i64| {
        if by_month {
            format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1)
        } else {
            utc((k * 86_400) as u64)[..10].to_string()
        }
    };
    let top = nice_max(*counts.iter().max().unwrap_or(&1));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / counts.len() as f64;
    let base = HEIGHT - BOTTOM;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let h = plot_h * count as f64 / top as f64;
            Bar {
                x: n(LEFT + slot * i as f64 + slot * 0.1),
                y: n(base - h),
                w: n((slot * 0.8).max(0.5)),
                h: n(h),
                label: label(first + i as i64),
                count,
            }
        })
        .collect();
    let step = counts.len().div_ceil(MAX_LABELS).max(1);
    let x_labels = (0..counts.len())
        .step_by(step)
        .map(|i| Label {
            x: n(LEFT + slot * (i as f64 + 0.5)),
            y: n(base + 16.0),
            text: label(first + i as i64),
        })
        .collect();
    let y_ticks = [0, top / 2, top]
        .into_iter()
        .filter(|v| *v > 0 || top > 0)
        .map(|v| Label {
            x: n(LEFT - 6.0),
            y: n(base - plot_h * v as f64 / top as f64 + 4.0),
            text: v.to_string(),
        })
        .collect();
    Timeline {
        unit: if by_month { "month" } else { "day" },
        bars,
        x_labels,
        y_ticks,
        first: Some(utc((lo * 86_400) as u64)[..10].to_string()),
        last: Some(utc((hi * 86_400) as u64)[..10].to_string()),
        dated: dated.len(),
        undated,
        ..empty(undated)
    }
}

fn empty(undated: usize) -> Timeline {
    Timeline {
        width: n(WIDTH),
        height: n(HEIGHT),
        unit: "day",
        bars: Vec::new(),
        x_labels: Vec::new(),
        y_ticks: Vec::new(),
        x0: n(LEFT),
        x1: n(WIDTH - RIGHT),
        y0: n(TOP),
        y1: n(HEIGHT - BOTTOM),
        dated: 0,
        undated,
        first: None,
        last: None,
    }
}

/// Months since year 0 of a day number.
fn month_of(day: i64) -> i64 {
    let date = utc((day * 86_400) as u64);
    let year: i64 = date[..4].parse().unwrap_or(1970);
    let month: i64 = date[5..7].parse().unwrap_or(1);
    year * 12 + month - 1
}

/// The axis top: the count rounded up to an even number (so the middle tick is whole).
fn nice_max(max: usize) -> usize {
    let max = max.max(1);
    if max <= 2 { 2 } else { max.div_ceil(2) * 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_day_with_gaps() {
        let day = 86_400;
        let t0 = 1_700_000_000 - 1_700_000_000 % day;
        let chart = timeline(&[Some(t0), Some(t0 + 10), Some(t0 + 2 * day), None]);
        assert_eq!(chart.unit, "day");
        let counts: Vec<usize> = chart.bars.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![2, 0, 1]);
        assert_eq!(chart.undated, 1);
        assert_eq!(chart.bars[0].label, "2023-11-14");
    }

    #[test]
    fn long_spans_go_by_month_and_empty_is_fine() {
        let chart = timeline(&[Some(0), Some(400 * 86_400)]);
        assert_eq!(chart.unit, "month");
        assert_eq!(chart.bars.first().unwrap().label, "1970-01");
        assert!(timeline(&[]).bars.is_empty());
    }
}
