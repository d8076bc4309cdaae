//! When a periodic job runs: a cron expression, or a fixed interval.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

/// When a periodic job runs. Every consumer that registers a schedule computes the same
/// ticks (cron expressions in UTC or a fixed offset from it; intervals counted from the Unix
/// epoch), so they agree on each tick without talking to each other.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use pool_redis::Schedule;
///
/// let nightly = Schedule::cron("0 3 * * *")?; // 03:00 UTC every day
/// let often = Schedule::every(Duration::from_secs(30))?;
/// assert!(Schedule::cron("every tuesday").is_err());
/// # Ok::<(), pool_redis::ScheduleError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Schedule {
    rule: Rule,
}

#[derive(Clone, Debug)]
enum Rule {
    Cron {
        cron: Box<croner::Cron>,
        offset: FixedOffset,
    },
    Every(Duration),
    #[cfg(feature = "time-zones")]
    CronInZone {
        cron: Box<croner::Cron>,
        zone: chrono_tz::Tz,
    },
}

/// A schedule that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// The cron expression could not be read.
    #[error("{expression:?} is not a cron expression: {why}")]
    BadCron {
        /// The expression given.
        expression: String,
        /// What the parser said.
        why: String,
    },
    /// An interval of zero.
    #[error("a periodic job's interval must be longer than zero")]
    ZeroInterval,
    /// An offset from UTC past a day.
    #[error("{0} s is not an offset from UTC (at most a day either way)")]
    BadOffset(i32),
    /// A time zone name the IANA database does not know.
    #[error("{0:?} is not a time zone (an IANA name such as \"Europe/Berlin\")")]
    UnknownZone(String),
}

impl Schedule {
    /// A cron expression, in UTC: five fields (minute, hour, day of month, month, day of
    /// week), or six or seven with seconds first and a year last; `L`, `W` and `#` as
    /// croner reads them.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::BadCron`] if it cannot be read.
    pub fn cron(expression: &str) -> Result<Self, ScheduleError> {
        Self::cron_at_offset(expression, 0)
    }

    /// A cron expression read in the time `offset_seconds` east of UTC (a fixed offset:
    /// daylight-saving changes are not followed).
    ///
    /// # Errors
    ///
    /// [`ScheduleError::BadCron`], or [`ScheduleError::BadOffset`] past a day.
    pub fn cron_at_offset(expression: &str, offset_seconds: i32) -> Result<Self, ScheduleError> {
        let offset = FixedOffset::east_opt(offset_seconds)
            .ok_or(ScheduleError::BadOffset(offset_seconds))?;
        Ok(Self {
            rule: Rule::Cron {
                cron: parse(expression)?,
                offset,
            },
        })
    }

    /// A cron expression read in the named time zone (`"Europe/Berlin"`), daylight saving
    /// followed as croner does: a time skipped by the change runs at the next one that exists,
    /// a time that occurs twice runs once. Needs the `time-zones` feature.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::BadCron`], or [`ScheduleError::UnknownZone`].
    #[cfg(feature = "time-zones")]
    pub fn cron_in_zone(expression: &str, zone: &str) -> Result<Self, ScheduleError> {
        let zone: chrono_tz::Tz = zone
            .parse()
            .map_err(|_| ScheduleError::UnknownZone(zone.to_owned()))?;
        Ok(Self {
            rule: Rule::CronInZone {
                cron: parse(expression)?,
                zone,
            },
        })
    }

    /// Every `period`, at the multiples of it since the Unix epoch (every minute on the
    /// minute, say).
    ///
    /// # Errors
    ///
    /// [`ScheduleError::ZeroInterval`] for a period of zero.
    pub fn every(period: Duration) -> Result<Self, ScheduleError> {
        if period.as_millis() == 0 {
            return Err(ScheduleError::ZeroInterval);
        }
        Ok(Self {
            rule: Rule::Every(period),
        })
    }

    /// The first tick strictly after `after_ms` (Unix ms), if there is one.
    pub(crate) fn next_after(&self, after_ms: u64) -> Option<u64> {
        match &self.rule {
            Rule::Every(period) => {
                let period = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
                (after_ms / period).checked_add(1)?.checked_mul(period)
            }
            Rule::Cron { cron, offset } => next_in(cron, after_ms, offset),
            #[cfg(feature = "time-zones")]
            Rule::CronInZone { cron, zone } => next_in(cron, after_ms, zone),
        }
    }
}

fn parse(expression: &str) -> Result<Box<croner::Cron>, ScheduleError> {
    let cron = croner::Cron::from_str(expression).map_err(|error| ScheduleError::BadCron {
        expression: expression.to_owned(),
        why: error.to_string(),
    })?;
    Ok(Box::new(cron))
}

/// The first occurrence of `cron` strictly after `after_ms` (Unix ms), read in `zone`.
fn next_in<Z: TimeZone>(cron: &croner::Cron, after_ms: u64, zone: &Z) -> Option<u64> {
    let after: DateTime<Z> = Utc
        .timestamp_millis_opt(i64::try_from(after_ms).ok()?)
        .single()?
        .with_timezone(zone);
    let next = cron.find_next_occurrence(&after, false).ok()?;
    u64::try_from(next.timestamp_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_tick_on_their_multiples() {
        let every = Schedule::every(Duration::from_secs(10)).unwrap();
        assert_eq!(every.next_after(0), Some(10_000));
        assert_eq!(every.next_after(10_000), Some(20_000));
        assert_eq!(every.next_after(19_999), Some(20_000));
        assert_eq!(
            Schedule::every(Duration::ZERO).unwrap_err(),
            ScheduleError::ZeroInterval
        );
    }

    #[test]
    fn cron_ticks_in_utc_or_at_an_offset() {
        // 2025-12-03T01:00:00Z
        let at = 1_764_723_600_000;
        let nightly = Schedule::cron("0 3 * * *").unwrap();
        assert_eq!(nightly.next_after(at), Some(at + 2 * 3600 * 1000));
        // 03:00 at UTC+2 is 01:00 UTC: the next one is a day later, less nothing.
        let east = Schedule::cron_at_offset("0 3 * * *", 2 * 3600).unwrap();
        assert_eq!(east.next_after(at), Some(at + 24 * 3600 * 1000));
        let seconds = Schedule::cron("*/5 * * * * *").unwrap();
        assert_eq!(seconds.next_after(at), Some(at + 5000));
        assert!(matches!(
            Schedule::cron("61 * * * *"),
            Err(ScheduleError::BadCron { .. })
        ));
        assert_eq!(
            Schedule::cron_at_offset("* * * * *", 90_000).unwrap_err(),
            ScheduleError::BadOffset(90_000)
        );
    }

    #[cfg(feature = "time-zones")]
    #[test]
    fn named_zones_follow_daylight_saving() {
        let berlin = Schedule::cron_in_zone("0 3 * * *", "Europe/Berlin").unwrap();
        // 2025-12-03T00:00:00Z: winter, 03:00 in Berlin is 02:00 UTC.
        let winter = 1_764_720_000_000;
        assert_eq!(berlin.next_after(winter), Some(winter + 2 * 3600 * 1000));
        // 2025-07-01T00:00:00Z: summer, 03:00 in Berlin is 01:00 UTC.
        let summer = 1_751_328_000_000;
        assert_eq!(berlin.next_after(summer), Some(summer + 3600 * 1000));
        assert_eq!(
            Schedule::cron_in_zone("0 3 * * *", "Mars/Olympus").unwrap_err(),
            ScheduleError::UnknownZone("Mars/Olympus".to_owned())
        );
    }
}
