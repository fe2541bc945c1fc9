//! The word lists the population is drawn from, compiled into the binary
//! (`data/README.md` says where each comes from). Parsed once, on first use;
//! a line that does not parse is skipped, and a unit test makes sure none is.

use std::sync::LazyLock;

/// Items with weights, picked in proportion to them.
#[derive(Debug, Default)]
pub struct Weighted {
    items: Vec<String>,
    /// Running totals, for a binary search.
    cumulative: Vec<u64>,
}

impl Weighted {
    fn parse(text: &str) -> Weighted {
        let mut w = Weighted::default();
        let mut total = 0u64;
        for line in text.lines() {
            let mut cols = line.split('\t');
            let (Some(item), weight) = (cols.next().filter(|s| !s.is_empty()), cols.next()) else {
                continue;
            };
            total += weight
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(1u64)
                .max(1);
            w.items.push(item.trim().to_owned());
            w.cumulative.push(total);
        }
        w
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item a uniform draw `r` (any u64) falls on.
    pub fn pick(&self, r: u64) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return "";
        }
        let target = ((u128::from(r) * u128::from(total)) >> 64) as u64;
        let i = self.cumulative.partition_point(|&c| c <= target);
        self.items.get(i).map_or("", String::as_str)
    }
}

/// A federal subject of Russia.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Tax code: the first two digits of INN, KPP and OGRN.
    pub code: String,
    /// OKATO code: the first two digits of a passport series.
    pub okato: String,
    pub name: String,
    pub center: String,
    pub postal_prefix: String,
    pub phone_code: String,
}

#[derive(Debug)]
pub struct Data {
    pub male_names: Weighted,
    pub female_names: Weighted,
    pub male_patronymics: Weighted,
    pub female_patronymics: Weighted,
    /// (male form, female form).
    pub surnames: Vec<(String, String)>,
    pub regions: Vec<Region>,
    /// (type abbreviation, name).
    pub streets: Vec<(String, String)>,
    /// (legal form, name without quotes).
    pub employers: Vec<(String, String)>,
    /// Passport office name templates with `{city}` and `{district}`/`{district_gen}`.
    pub issuers: Vec<String>,
    /// (prepositional, genitive) forms of district names.
    pub districts: Vec<(String, String)>,
}

fn pairs(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (a, b) = l.split_once('\t')?;
            let b = b.split('\t').next().unwrap_or(b);
            (!a.trim().is_empty() && !b.trim().is_empty())
                .then(|| (a.trim().to_owned(), b.trim().to_owned()))
        })
        .collect()
}

fn regions(text: &str) -> Vec<Region> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').map(str::trim).collect();
            let ok = c.len() >= 7
                && c[0].len() == 2
                && c[1].len() == 2
                && c[0].bytes().chain(c[1].bytes()).all(|b| b.is_ascii_digit())
                && c[5].len() == 3;
            ok.then(|| Region {
                code: c[0].to_owned(),
                okato: c[1].to_owned(),
                name: c[2].to_owned(),
                center: c[4].to_owned(),
                postal_prefix: c[5].to_owned(),
                phone_code: c[6].to_owned(),
            })
        })
        .collect()
}

pub static DATA: LazyLock<Data> = LazyLock::new(|| Data {
    male_names: Weighted::parse(include_str!("../data/names_male.txt")),
    female_names: Weighted::parse(include_str!("../data/names_female.txt")),
    male_patronymics: Weighted::parse(include_str!("../data/patronymics_male.txt")),
    female_patronymics: Weighted::parse(include_str!("../data/patronymics_female.txt")),
    surnames: pairs(include_str!("../data/surnames.txt")),
    regions: regions(include_str!("../data/regions.tsv")),
    streets: pairs(include_str!("../data/streets.txt")),
    employers: pairs(include_str!("../data/employers.txt")),
    issuers: include_str!("../data/issuers.txt")
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("{city}"))
        .map(str::to_owned)
        .collect(),
    districts: pairs(include_str!("../data/districts.txt")),
});

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> usize {
        text.lines().filter(|l| !l.trim().is_empty()).count()
    }

    #[test]
    fn every_line_of_every_list_parses() {
        let d = &*DATA;
        assert_eq!(
            d.male_names.len(),
            lines(include_str!("../data/names_male.txt"))
        );
        assert_eq!(
            d.female_names.len(),
            lines(include_str!("../data/names_female.txt"))
        );
        assert_eq!(
            d.male_patronymics.len(),
            lines(include_str!("../data/patronymics_male.txt"))
        );
        assert_eq!(
            d.female_patronymics.len(),
            lines(include_str!("../data/patronymics_female.txt"))
        );
        assert_eq!(
            d.surnames.len(),
            lines(include_str!("../data/surnames.txt"))
        );
        assert_eq!(
            d.regions.len(),
            lines(include_str!("../data/regions.tsv")) - 1
        );
        assert_eq!(d.streets.len(), lines(include_str!("../data/streets.txt")));
        assert_eq!(
            d.employers.len(),
            lines(include_str!("../data/employers.txt"))
        );
        assert_eq!(
            d.districts.len(),
            lines(include_str!("../data/districts.txt"))
        );
        assert!(d.issuers.len() >= 4);
        assert!(d.surnames.len() > 1_000 && d.regions.len() > 80);
        assert!(d.regions.iter().any(|r| r.code == "77" && r.okato == "45"));
    }

    #[test]
    fn weighted_picks_follow_weights() {
        let w = Weighted::parse("a\t3\nb\t1\n");
        let mut s = crate::codes::Stream::new(1, 1, 1);
        let a = (0..4_000).filter(|_| w.pick(s.next_u64()) == "a").count();
        assert!((2_700..3_300).contains(&a), "{a}");
        assert_eq!(Weighted::parse("").pick(5), "");
    }
}
