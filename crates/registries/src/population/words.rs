//! Small word games: Latin spellings of Russian names for email addresses.

use crate::codes::Stream;

/// ГОСТ 7.79-2000 system B, simplified to plain ASCII for addresses.
fn latin(c: char) -> &'static str {
    match c.to_lowercase().next().unwrap_or(c) {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => "",
    }
}

pub fn transliterate(s: &str) -> String {
    s.chars().map(latin).collect()
}

/// A plausible personal address on a reserved (`.test`) domain, unique by
/// the person's number.
pub fn email(first: &str, last: &str, n: u64, s: &mut Stream) -> String {
    const DOMAINS: [&str; 4] = ["pochta.test", "mail.test", "inbox.test", "post.test"];
    let domain = s.pick(&DOMAINS).copied().unwrap_or("mail.test");
    let (f, l) = (transliterate(first), transliterate(last));
    match s.below(3) {
        0 => format!("{f}.{l}{n}@{domain}"),
        1 => format!("{}{l}.{n}@{domain}", f.get(..1).unwrap_or("x")),
        _ => format!("{l}_{n}@{domain}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_ascii() {
        assert_eq!(transliterate("Щукина"), "shchukina");
        assert_eq!(transliterate("Артём"), "artyom");
        let e = email("Юрий", "Ёлкин", 7, &mut Stream::new(1, 2, 3));
        assert!(
            e.is_ascii() && e.contains('7') && e.ends_with(".test"),
            "{e}"
        );
    }
}
