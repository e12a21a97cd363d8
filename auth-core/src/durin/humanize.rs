//! `humanize.naturaldelta` (humanize 4.x, `months=True`,
//! `minimum_unit="seconds"`, English): the `expires_in_str` of Durin's
//! session and API-access serializers.

use chrono::TimeDelta;

/// Python's `round()` of a float: halves to even.
fn py_round(value: f64) -> i64 {
    value.round_ties_even() as i64
}

/// Python's `"{:,}".format(n)` (humanize's `intcomma` of an int).
fn intcomma(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        one.replace("%d", &n.to_string())
    } else {
        many.replace("%d", &n.to_string())
    }
}

/// `humanize.naturaldelta(delta)`: `"a moment"`, `"5 seconds"`, `"an hour"`,
/// `"a day"`, `"3 months"`, `"1 year, 2 months"`, `"2 years"`. The sign is
/// ignored, as humanize takes `abs(delta)`.
pub fn naturaldelta(delta: TimeDelta) -> String {
    let delta = delta.abs();
    // timedelta's normalised days and seconds (the microseconds only decide
    // "a moment").
    let total_seconds = delta.num_seconds();
    let delta_days = total_seconds.div_euclid(86_400);
    let seconds = total_seconds.rem_euclid(86_400);
    let years = delta_days / 365;
    let days = delta_days % 365;
    let num_months = py_round(days as f64 / 30.5);

    if years == 0 && days < 1 {
        if seconds == 0 {
            return "a moment".into();
        }
        if seconds == 1 {
            return "a second".into();
        }
        if seconds < 60 {
            return plural(seconds, "%d second", "%d seconds");
        }
        if seconds < 3600 {
            let minutes = py_round(seconds as f64 / 60.0);
            return match minutes {
                1 => "a minute".into(),
                60 => "an hour".into(),
                _ => plural(minutes, "%d minute", "%d minutes"),
            };
        }
        let hours = py_round(seconds as f64 / 3600.0);
        return match hours {
            1 => "an hour".into(),
            24 => "a day".into(),
            _ => plural(hours, "%d hour", "%d hours"),
        };
    }
    if years == 0 {
        if days == 1 {
            return "a day".into();
        }
        return match num_months {
            0 => plural(days, "%d day", "%d days"),
            1 => "a month".into(),
            12 => "a year".into(),
            _ => plural(num_months, "%d month", "%d months"),
        };
    }
    if years == 1 {
        if num_months == 0 && days == 0 {
            return "a year".into();
        }
        if num_months == 0 {
            return plural(days, "1 year, %d day", "1 year, %d days");
        }
        return match num_months {
            1 => "1 year, 1 month".into(),
            12 => "2 years".into(),
            _ => plural(num_months, "1 year, %d month", "1 year, %d months"),
        };
    }
    let years = py_round(delta_days as f64 / 365.0);
    let text = intcomma(years);
    if years == 1 {
        format!("{text} year")
    } else {
        format!("{text} years")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers of humanize 4.17.0's `naturaldelta(timedelta(seconds=s))`.
    #[test]
    fn matches_humanize() {
        for (seconds, expected) in [
            (0, "a moment"),
            (1, "a second"),
            (30, "30 seconds"),
            (59, "59 seconds"),
            (60, "a minute"),
            (89, "a minute"),
            (90, "2 minutes"),
            (150, "2 minutes"),
            (3_599, "an hour"),
            (3_600, "an hour"),
            (5_400, "2 hours"),
            (7_200, "2 hours"),
            (86_399, "a day"),
            (86_400, "a day"),
            (2 * 86_400, "2 days"),
            (15 * 86_400, "15 days"),
            (16 * 86_400, "a month"),
            (45 * 86_400, "a month"),
            (46 * 86_400, "2 months"),
            (364 * 86_400, "a year"),
            (365 * 86_400, "a year"),
            (366 * 86_400, "1 year, 1 day"),
            (400 * 86_400, "1 year, 1 month"),
            (600 * 86_400, "1 year, 8 months"),
            (720 * 86_400, "2 years"),
            (730 * 86_400, "2 years"),
            (400_000 * 86_400, "1,096 years"),
        ] {
            assert_eq!(
                naturaldelta(TimeDelta::seconds(seconds)),
                expected,
                "{seconds} s"
            );
        }
        assert_eq!(naturaldelta(TimeDelta::microseconds(500)), "a moment");
        assert_eq!(naturaldelta(TimeDelta::seconds(-7_200)), "2 hours");
    }
}
