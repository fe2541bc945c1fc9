//! What a partner asks for, checked: a purpose of the catalogue, categories
//! its approved scopes allow, a validity of at most a year, and a read mode.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::catalogue::{self, Category};
use crate::Lang;

/// The longest a consent may run (CDR: 12 months).
pub const MAX_VALIDITY: Duration = Duration::days(365);
/// The shortest: less would expire before anyone could read.
pub const MIN_VALIDITY: Duration = Duration::hours(1);
/// How long a request waits for the citizen's answer.
pub const REQUEST_TTL: Duration = Duration::days(7);
/// The most reads a periodic consent may allow per period.
pub const MAX_READS_PER_PERIOD: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Hour,
    Day,
    Month,
}

impl Per {
    /// The rolling window reads are counted in.
    pub fn window(self) -> Duration {
        match self {
            Per::Hour => Duration::hours(1),
            Per::Day => Duration::days(1),
            Per::Month => Duration::days(30),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Per::Hour => "hour",
            Per::Day => "day",
            Per::Month => "month",
        }
    }

    pub fn parse(code: &str) -> Option<Per> {
        [Per::Hour, Per::Day, Per::Month]
            .into_iter()
            .find(|p| p.code() == code)
    }
}

/// One read, or reads at most `max_reads` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    OneTime,
    Periodic { max_reads: u32, per: Per },
}

impl Mode {
    pub fn describe(self, lang: Lang) -> String {
        match (self, lang) {
            (Mode::OneTime, Lang::Ru) => "Однократно".into(),
            (Mode::OneTime, Lang::En) => "Once".into(),
            (Mode::Periodic { max_reads, per }, Lang::Ru) => {
                let per = match per {
                    Per::Hour => "в час",
                    Per::Day => "в сутки",
                    Per::Month => "в месяц",
                };
                format!("Периодически, не чаще {max_reads} раз {per}")
            }
            (Mode::Periodic { max_reads, per }, Lang::En) => {
                format!("Periodically, at most {max_reads} times a {}", per.code())
            }
        }
    }
}

/// A request as the partner sent it (the API's and RAR's shape).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    pub purpose: String,
    pub categories: Vec<String>,
    /// Those of `categories` the citizen may untick.
    pub optional: Vec<String>,
    pub valid_until: Option<OffsetDateTime>,
    /// `one_time` or `periodic`.
    pub mode: String,
    pub max_reads: Option<u32>,
    pub per: Option<String>,
    pub return_url: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub purpose: String,
    pub categories: BTreeSet<Category>,
    pub optional: BTreeSet<Category>,
    pub valid_until: OffsetDateTime,
    pub mode: Mode,
    pub return_url: Option<String>,
}

/// One thing wrong with a request, at a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub code: &'static str,
    pub ru: String,
    pub en: String,
}

impl Problem {
    fn new(pointer: impl Into<String>, code: &'static str, ru: String, en: String) -> Problem {
        Problem {
            pointer: pointer.into(),
            code,
            ru,
            en,
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

/// Checks `draft` for a partner holding `scopes`. `loopback_http` lets a
/// sandbox client return to `http://127.0.0.1` or `http://localhost`.
pub fn check(
    draft: &Draft,
    scopes: &[&str],
    loopback_http: bool,
    now: OffsetDateTime,
) -> Result<Terms, Vec<Problem>> {
    let mut problems = Vec::new();
    if catalogue::purpose(&draft.purpose).is_none() {
        let known: Vec<&str> = catalogue::purposes()
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        problems.push(Problem::new(
            "/purpose",
            "unknown_purpose",
            format!("Неизвестная цель; возможные: {}", known.join(", ")),
            format!("Unknown purpose; known ones: {}", known.join(", ")),
        ));
    }
    let mut categories = BTreeSet::new();
    if draft.categories.is_empty() {
        problems.push(Problem::new(
            "/categories",
            "required",
            "Укажите хотя бы одну категорию данных".into(),
            "Name at least one data category".into(),
        ));
    }
    for (i, code) in draft.categories.iter().enumerate() {
        let at = format!("/categories/{i}");
        match Category::parse(code) {
            None => problems.push(Problem::new(
                at,
                "unknown_category",
                format!("Неизвестная категория «{}»", clip(code)),
                format!("Unknown category \"{}\"", clip(code)),
            )),
            Some(c) if !scopes.contains(&c.scope()) => problems.push(Problem::new(
                at,
                "scope_not_allowed",
                format!(
                    "Организации не одобрен доступ «{}» (нужна область {})",
                    c.title(Lang::Ru),
                    c.scope()
                ),
                format!(
                    "The organization is not approved for {} (needs scope {})",
                    c.title(Lang::En),
                    c.scope()
                ),
            )),
            Some(c) => {
                if !categories.insert(c) {
                    problems.push(Problem::new(
                        at,
                        "duplicate",
                        "Категория названа дважды".into(),
                        "Category named twice".into(),
                    ));
                }
            }
        }
    }
    let mut optional = BTreeSet::new();
    for (i, code) in draft.optional.iter().enumerate() {
        // Checked against what was asked, so a category refused above is
        // not refused twice.
        match Category::parse(code).filter(|_| draft.categories.contains(code)) {
            Some(c) => {
                if categories.contains(&c) {
                    optional.insert(c);
                }
            }
            None => problems.push(Problem::new(
                format!("/optional_categories/{i}"),
                "not_requested",
                "Необязательная категория должна быть среди запрошенных".into(),
                "An optional category must be one of the requested ones".into(),
            )),
        }
    }
    if !categories.is_empty() && optional.len() == categories.len() {
        problems.push(Problem::new(
            "/optional_categories",
            "all_optional",
            "Хотя бы одна категория должна быть обязательной".into(),
            "At least one category must be required".into(),
        ));
    }
    match draft.valid_until {
        None => problems.push(Problem::new(
            "/valid_until",
            "required",
            "Укажите срок действия согласия".into(),
            "Say until when the consent is valid".into(),
        )),
        Some(t) if t < now + MIN_VALIDITY => problems.push(Problem::new(
            "/valid_until",
            "too_soon",
            "Срок действия должен быть не меньше часа".into(),
            "The consent must be valid for at least an hour".into(),
        )),
        Some(t) if t > now + MAX_VALIDITY => problems.push(Problem::new(
            "/valid_until",
            "too_long",
            "Согласие даётся не больше чем на год".into(),
            "A consent lasts at most a year".into(),
        )),
        Some(_) => {}
    }
    let mode = match draft.mode.as_str() {
        "one_time" => Some(Mode::OneTime),
        "periodic" => {
            let max_reads = draft
                .max_reads
                .filter(|n| (1..=MAX_READS_PER_PERIOD).contains(n));
            let per = draft.per.as_deref().and_then(Per::parse);
            if max_reads.is_none() {
                problems.push(Problem::new(
                    "/frequency/max_reads",
                    "out_of_range",
                    format!("Число чтений за период: от 1 до {MAX_READS_PER_PERIOD}"),
                    format!("Reads per period: 1 to {MAX_READS_PER_PERIOD}"),
                ));
            }
            if per.is_none() {
                problems.push(Problem::new(
                    "/frequency/per",
                    "invalid",
                    "Период: hour, day или month".into(),
                    "Period: hour, day or month".into(),
                ));
            }
            max_reads
                .zip(per)
                .map(|(max_reads, per)| Mode::Periodic { max_reads, per })
        }
        _ => {
            problems.push(Problem::new(
                "/mode",
                "invalid",
                "Режим: one_time или periodic".into(),
                "Mode: one_time or periodic".into(),
            ));
            None
        }
    };
    if let Some(url) = &draft.return_url
        && !return_url_ok(url, loopback_http)
    {
        problems.push(Problem::new(
            "/return_url",
            "invalid",
            "Адрес возврата должен начинаться с https://".into(),
            "The return URL must start with https://".into(),
        ));
    }
    match (problems.is_empty(), draft.valid_until, mode) {
        (true, Some(valid_until), Some(mode)) => Ok(Terms {
            purpose: draft.purpose.clone(),
            categories,
            optional,
            valid_until,
            mode,
            return_url: draft.return_url.clone(),
        }),
        _ => Err(problems),
    }
}

fn return_url_ok(url: &str, loopback_http: bool) -> bool {
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let rest = if let Some(rest) = url.strip_prefix("https://") {
        rest
    } else if loopback_http && let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if host != "127.0.0.1" && host != "localhost" && host != "[::1]" {
            return false;
        }
        rest
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty() && !host.contains('@')
}

/// An echo of what the partner sent, cut short so no message grows with it.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);
    const ALL_SCOPES: &[&str] = &[
        "openid",
        "id_doc",
        "snils",
        "inn",
        "income",
        "addresses",
        "pension",
        "real_estate",
        "debts",
        "usr_org",
    ];

    fn draft() -> Draft {
        Draft {
            purpose: "loan_application".into(),
            categories: vec!["passport".into(), "income".into()],
            optional: vec!["income".into()],
            valid_until: Some(NOW + Duration::days(30)),
            mode: "periodic".into(),
            max_reads: Some(4),
            per: Some("day".into()),
            return_url: Some("https://bank.example/back".into()),
        }
    }

    fn codes(d: &Draft, scopes: &[&str]) -> Vec<(String, &'static str)> {
        check(d, scopes, false, NOW)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.pointer, p.code))
            .collect()
    }

    #[test]
    fn a_good_request_passes() {
        let t = check(&draft(), ALL_SCOPES, false, NOW).unwrap();
        assert_eq!(t.categories.len(), 2);
        assert!(t.optional.contains(&Category::Income));
        assert_eq!(
            t.mode,
            Mode::Periodic {
                max_reads: 4,
                per: Per::Day
            }
        );
    }

    #[test]
    fn categories_need_the_scope() {
        let got = codes(&draft(), &["openid", "id_doc"]);
        assert_eq!(got, vec![("/categories/1".into(), "scope_not_allowed")]);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let d = Draft {
            purpose: "fun".into(),
            categories: vec!["passport".into(), "passport".into(), "x".into()],
            optional: vec!["snils".into()],
            valid_until: Some(NOW + Duration::days(366)),
            mode: "periodic".into(),
            max_reads: Some(0),
            per: Some("week".into()),
            return_url: Some("http://bank.example/".into()),
        };
        let got: Vec<&str> = codes(&d, ALL_SCOPES).into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            got,
            vec![
                "unknown_purpose",
                "duplicate",
                "unknown_category",
                "not_requested",
                "too_long",
                "out_of_range",
                "invalid",
                "invalid"
            ]
        );
    }

    #[test]
    fn validity_bounds() {
        let mut d = draft();
        d.valid_until = Some(NOW + MAX_VALIDITY);
        assert!(check(&d, ALL_SCOPES, false, NOW).is_ok());
        d.valid_until = Some(NOW + Duration::minutes(59));
        assert_eq!(
            codes(&d, ALL_SCOPES),
            vec![("/valid_until".into(), "too_soon")]
        );
        d.valid_until = None;
        assert_eq!(
            codes(&d, ALL_SCOPES),
            vec![("/valid_until".into(), "required")]
        );
    }

    #[test]
    fn not_everything_may_be_optional() {
        let mut d = draft();
        d.optional = d.categories.clone();
        assert_eq!(
            codes(&d, ALL_SCOPES),
            vec![("/optional_categories".into(), "all_optional")]
        );
    }

    #[test]
    fn return_urls() {
        assert!(return_url_ok("https://bank.example/x?y=1", false));
        assert!(!return_url_ok("https://user@evil.example/", false));
        assert!(!return_url_ok("javascript:alert(1)", true));
        assert!(!return_url_ok("http://127.0.0.1:9000/cb", false));
        assert!(return_url_ok("http://127.0.0.1:9000/cb", true));
        assert!(!return_url_ok("http://127.0.0.1.evil.example/cb", true));
        assert!(!return_url_ok("https:///nohost", false));
    }

    #[test]
    fn one_time_needs_no_frequency() {
        let mut d = draft();
        d.mode = "one_time".into();
        d.max_reads = None;
        d.per = None;
        assert_eq!(
            check(&d, ALL_SCOPES, false, NOW).unwrap().mode,
            Mode::OneTime
        );
    }
}
