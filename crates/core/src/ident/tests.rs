//! Known real values, property tests against independent reference
//! implementations, and "no input panics".

use proptest::prelude::*;

use super::*;
use crate::Lang;

// --- Reference implementations, written from the published rules and kept
// apart from the code under test on purpose. ---

fn ref_inn10(d: &[u8]) -> u8 {
    let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    (d.iter().zip(w).map(|(&x, w)| x as u32 * w).sum::<u32>() % 11 % 10) as u8
}

fn ref_inn12(d: &[u8]) -> (u8, u8) {
    let w1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let w2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let c1 = (d.iter().zip(w1).map(|(&x, w)| x as u32 * w).sum::<u32>() % 11 % 10) as u8;
    let mut e = d[..10].to_vec();
    e.push(c1);
    let c2 = (e.iter().zip(w2).map(|(&x, w)| x as u32 * w).sum::<u32>() % 11 % 10) as u8;
    (c1, c2)
}

fn ref_snils(d: &[u8]) -> u8 {
    let s: u32 = (0..9).map(|i| d[i] as u32 * (9 - i as u32)).sum();
    let c = match s {
        0..=99 => s,
        100 | 101 => 0,
        _ => s % 101,
    };
    if c == 100 { 0 } else { c as u8 }
}

fn ref_mod(d: &[u8], m: u128) -> u8 {
    let n: u128 = d.iter().fold(0, |a, &x| a * 10 + x as u128);
    (n % m % 10) as u8
}

fn ref_uin(d: &[u8]) -> u8 {
    let pass = |k: u32| {
        d.iter()
            .enumerate()
            .map(|(i, &x)| x as u32 * ((i as u32 + k - 1) % 10 + 1))
            .sum::<u32>()
            % 11
    };
    let c = pass(1);
    if c < 10 {
        return c as u8;
    }
    let c = pass(3);
    if c < 10 { c as u8 } else { 0 }
}

fn ref_account_ok(prefix: &[u8], acc: &[u8]) -> bool {
    let w = [7u32, 1, 3];
    prefix
        .iter()
        .chain(acc)
        .enumerate()
        .map(|(i, &x)| x as u32 * w[i % 3])
        .sum::<u32>()
        % 10
        == 0
}

fn s(d: &[u8]) -> String {
    d.iter().map(|x| char::from(b'0' + x)).collect()
}

fn arb_digits(n: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(0u8..10, n)
}

// --- Known values ---

#[test]
fn real_values_pass() {
    assert_eq!(
        validate(Kind::Inn, "7707083893", None).unwrap(),
        "7707083893"
    ); // Sberbank
    assert_eq!(
        validate(Kind::InnOrg, " 7707 083 893 ", None).unwrap(),
        "7707083893"
    );
    assert_eq!(
        validate(Kind::InnPerson, "500100732259", None).unwrap(),
        "500100732259"
    );
    assert_eq!(
        validate(Kind::Snils, "112-233-445 95", None).unwrap(),
        "112-233-445 95"
    );
    assert_eq!(
        validate(Kind::Snils, "11223344595", None).unwrap(),
        "112-233-445 95"
    );
    assert_eq!(
        validate(Kind::Ogrn, "1027700132195", None).unwrap(),
        "1027700132195"
    ); // Sberbank
    assert_eq!(
        validate(Kind::Ogrnip, "304500116000157", None).unwrap(),
        "304500116000157"
    );
    assert_eq!(validate(Kind::Kpp, "773601001", None).unwrap(), "773601001");
    assert_eq!(validate(Kind::Kpp, "7736ab001", None).unwrap(), "7736AB001");
    assert_eq!(validate(Kind::Bik, "044525225", None).unwrap(), "044525225");
    // Sberbank's correspondent account at the Bank of Russia.
    let acc =
        BankAccount::parse("30101810400000000225", &Bik::parse("044525225").unwrap()).unwrap();
    assert_eq!(acc.form(), AccountForm::Correspondent);
    assert_eq!(
        validate(Kind::Passport, "45 08 № 123456", None).unwrap(),
        "4508 123456"
    );
    assert_eq!(
        validate(Kind::DivisionCode, "770001", None).unwrap(),
        "770-001"
    );
    assert_eq!(
        validate(Kind::Phone, "8 (916) 123-45-67", None).unwrap(),
        "+79161234567"
    );
    assert_eq!(
        validate(Kind::Phone, "+7 916 123 45 67", None).unwrap(),
        "+79161234567"
    );
    assert_eq!(
        validate(Kind::Phone, "9161234567", None).unwrap(),
        "+79161234567"
    );
    assert_eq!(
        validate(Kind::Email, " Ivanov@Example.RU ", None).unwrap(),
        "Ivanov@example.ru"
    );
    assert_eq!(
        validate(Kind::Email, "иван@почта.рф", None)
            .unwrap_err()
            .code(),
        "format"
    );
    assert_eq!(
        validate(Kind::Email, "ivan@Почта.РФ", None).unwrap(),
        "ivan@почта.рф"
    );
    assert_eq!(
        validate(Kind::Cadastral, "77:01:0001001:1234", None).unwrap(),
        "77:01:0001001:1234"
    );
    assert_eq!(
        validate(Kind::Oktmo, "45 382 000", None).unwrap(),
        "45382000"
    );
    assert_eq!(
        validate(Kind::Oktmo, "45382000001", None).unwrap(),
        "45382000001"
    );
}

#[test]
fn snils_below_the_threshold_carries_no_check() {
    assert!(Snils::parse("001-001-998 00").is_ok());
    assert!(Snils::parse("001-001-998 57").is_ok());
    assert_eq!(
        Snils::parse("001-001-999 00").unwrap_err().code(),
        "checksum"
    );
}

#[test]
fn typical_mistakes_are_named() {
    let code = |k, v| validate(k, v, None).unwrap_err().code();
    assert_eq!(code(Kind::Inn, "77070838"), "length");
    assert_eq!(code(Kind::Inn, "7707083894"), "checksum");
    assert_eq!(code(Kind::Inn, "77O7083893"), "not_digits");
    assert_eq!(code(Kind::Inn, "   "), "empty");
    assert_eq!(code(Kind::Phone, "+1 212 555 0100"), "country");
    assert_eq!(code(Kind::Phone, "8 495 123-45-67"), "not_mobile");
    assert_eq!(code(Kind::Phone, "12345678901"), "country");
    assert_eq!(code(Kind::Bik, "123456789"), "format");
    assert_eq!(code(Kind::Passport, "4508 000000"), "format");
    assert_eq!(code(Kind::Email, "a@b"), "format");
    assert_eq!(code(Kind::Email, "a..b@c.ru"), "format");
    assert_eq!(code(Kind::Cadastral, "77:01:01:1"), "format");
    assert_eq!(code(Kind::Uin, "1234"), "length");
    assert_eq!(
        validate(Kind::BankAccount, "30101810400000000225", None)
            .unwrap_err()
            .code(),
        "bik_required"
    );
    assert_eq!(
        validate(Kind::BankAccount, "30101810400000000225", Some("12"))
            .unwrap_err()
            .code(),
        "bik_invalid"
    );
    assert_eq!(
        validate(Kind::BankAccount, "30101810400000000226", Some("044525225"))
            .unwrap_err()
            .code(),
        "checksum"
    );
}

#[test]
fn messages_exist_in_both_languages_and_differ() {
    let errors = [
        IdentError::Empty { kind: Kind::Inn },
        IdentError::NotDigits { kind: Kind::Snils },
        IdentError::Length {
            kind: Kind::Inn,
            expected: &[10, 12],
            got: 11,
        },
        IdentError::Checksum { kind: Kind::Snils },
        IdentError::Format { kind: Kind::Kpp },
        IdentError::NotMobile,
        IdentError::Country,
        IdentError::BikRequired,
        IdentError::BadBik(Box::new(IdentError::Format { kind: Kind::Bik })),
    ];
    let mut seen = std::collections::HashSet::new();
    for e in &errors {
        let ru = e.message(Lang::Ru);
        let en = e.message(Lang::En);
        assert!(!ru.is_empty() && !en.is_empty() && ru != en, "{e:?}");
        assert!(
            ru.chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c))),
            "{ru}"
        );
        assert!(
            seen.insert(en.clone()) || matches!(e, IdentError::BadBik(_)),
            "duplicate {en}"
        );
    }
    assert_eq!(
        IdentError::Length {
            kind: Kind::Inn,
            expected: &[10, 12],
            got: 11
        }
        .message(Lang::Ru),
        "ИНН: нужно 10 или 12 цифр, введено 11"
    );
    for kind in Kind::ALL {
        assert!(!kind.name(Lang::Ru).is_empty() && kind.name(Lang::Ru) != kind.name(Lang::En));
        assert_eq!(kind.as_str().parse::<Kind>().unwrap(), kind);
    }
    assert!("passport_of_mars".parse::<Kind>().is_err());
}

#[test]
fn serde_round_trips_through_the_normal_form() {
    let s: Snils = serde_json::from_str("\"11223344595\"").unwrap();
    assert_eq!(serde_json::to_string(&s).unwrap(), "\"112-233-445 95\"");
    assert!(serde_json::from_str::<Snils>("\"11223344596\"").is_err());
    let inn: Inn = serde_json::from_str("\"500100732259\"").unwrap();
    assert!(matches!(inn, Inn::Person(_)));
}

// --- Properties ---

proptest! {
    #[test]
    fn inn_org_valid_and_single_digit_changes(body in arb_digits(9), pos in 0usize..10, delta in 1u8..10) {
        let mut d = body.clone();
        d.push(ref_inn10(&body));
        let v = s(&d);
        prop_assert_eq!(InnOrg::parse(&v).unwrap().to_string(), v.clone());
        prop_assert!(Inn::parse(&v).is_ok());
        let mut m = d.clone();
        m[pos] = (m[pos] + delta) % 10;
        // mod 11 always changes; only the 0 ↔ 10 residues collapse under mod 10.
        let expected_ok = ref_inn10(&m[..9]) == m[9];
        prop_assert_eq!(InnOrg::parse(&s(&m)).is_ok(), expected_ok);
        if pos == 9 { prop_assert!(!expected_ok); }
    }

    #[test]
    fn inn_person_valid_and_single_digit_changes(body in arb_digits(10), pos in 0usize..12, delta in 1u8..10) {
        let (c1, c2) = ref_inn12(&body);
        let mut d = body.clone();
        d.extend([c1, c2]);
        let v = s(&d);
        prop_assert!(InnPerson::parse(&v).is_ok());
        let mut m = d.clone();
        m[pos] = (m[pos] + delta) % 10;
        let (m1, m2) = ref_inn12(&m[..10]);
        prop_assert_eq!(InnPerson::parse(&s(&m)).is_ok(), m1 == m[10] && m2 == m[11]);
        if pos >= 10 { prop_assert!(InnPerson::parse(&s(&m)).is_err()); }
    }

    #[test]
    fn snils_valid_and_single_digit_changes(body in arb_digits(9), pos in 0usize..11, delta in 1u8..10) {
        let number: u32 = body.iter().fold(0, |a, &x| a * 10 + x as u32);
        prop_assume!(number > 1_001_998);
        let c = ref_snils(&body);
        let mut d = body.clone();
        d.extend([c / 10, c % 10]);
        let v = s(&d);
        let parsed = Snils::parse(&v).unwrap();
        prop_assert_eq!(Snils::parse(parsed.as_str()).unwrap(), parsed.clone());
        let mut m = d.clone();
        m[pos] = (m[pos] + delta) % 10;
        let mn: u32 = m[..9].iter().fold(0, |a, &x| a * 10 + x as u32);
        let expected_ok = mn <= 1_001_998 || ref_snils(&m[..9]) == m[9] * 10 + m[10];
        prop_assert_eq!(Snils::parse(&s(&m)).is_ok(), expected_ok);
    }

    #[test]
    fn ogrn_and_ogrnip(body13 in arb_digits(12), body15 in arb_digits(14), pos in 0usize..12, delta in 1u8..10) {
        let mut d = body13.clone();
        d.push(ref_mod(&body13, 11));
        prop_assert!(Ogrn::parse(&s(&d)).is_ok());
        let mut m = d.clone();
        m[pos] = (m[pos] + delta) % 10;
        prop_assert_eq!(Ogrn::parse(&s(&m)).is_ok(), ref_mod(&m[..12], 11) == m[12]);
        let mut last = d.clone();
        last[12] = (last[12] + delta) % 10;
        prop_assert!(Ogrn::parse(&s(&last)).is_err());

        let mut e = body15.clone();
        e.push(ref_mod(&body15, 13));
        prop_assert!(Ogrnip::parse(&s(&e)).is_ok());
        let mut m = e.clone();
        m[pos] = (m[pos] + delta) % 10;
        prop_assert_eq!(Ogrnip::parse(&s(&m)).is_ok(), ref_mod(&m[..14], 13) == m[14]);
    }

    #[test]
    fn bank_accounts_catch_every_single_digit_change(
        bik_tail in arb_digits(7), acc in arb_digits(20), pos in 0usize..20, delta in 1u8..10,
    ) {
        let mut bik = vec![0, 4];
        bik.extend(bik_tail);
        let bik_s = s(&bik);
        // Make the account valid as a settlement account by fixing its key digit (index 8).
        let mut a = acc.clone();
        let key = (0..10u8).find(|&k| { a[8] = k; ref_account_ok(&bik[6..9], &a) });
        prop_assert!(key.is_some());
        let parsed = validate(Kind::BankAccount, &s(&a), Some(&bik_s));
        prop_assert!(parsed.is_ok());
        let mut m = a.clone();
        m[pos] = (m[pos] + delta) % 10;
        // Weights 7, 1, 3 are all prime to 10: any one-digit change breaks the key.
        let settlement_ok = ref_account_ok(&bik[6..9], &m);
        prop_assert!(!settlement_ok);
        let corr_ok = ref_account_ok(&[0, bik[4], bik[5]], &m);
        prop_assert_eq!(validate(Kind::BankAccount, &s(&m), Some(&bik_s)).is_ok(), corr_ok);
    }

    #[test]
    fn uins_of_both_lengths(body in prop_oneof![arb_digits(19), arb_digits(24)], pos in 0usize..19, delta in 1u8..10) {
        let mut d = body.clone();
        d.push(ref_uin(&body));
        prop_assert!(Uin::parse(&s(&d)).is_ok());
        let mut m = d.clone();
        m[pos] = (m[pos] + delta) % 10;
        let n = m.len();
        prop_assert_eq!(Uin::parse(&s(&m)).is_ok(), ref_uin(&m[..n - 1]) == m[n - 1]);
        let mut last = d.clone();
        last[n - 1] = (last[n - 1] + delta) % 10;
        prop_assert!(Uin::parse(&s(&last)).is_err());
    }

    #[test]
    fn separators_do_not_matter(body in arb_digits(9)) {
        let mut d = body.clone();
        d.push(ref_inn10(&body));
        let v = s(&d);
        let spaced = format!(" {}\u{a0}{}–{} ", &v[..3], &v[3..6], &v[6..]);
        prop_assert_eq!(validate(Kind::InnOrg, &spaced, None).unwrap(), v);
    }

    #[test]
    fn no_input_panics(input in any::<String>(), bik in any::<String>()) {
        for kind in Kind::ALL {
            let _ = validate(kind, &input, Some(&bik));
            let _ = validate(kind, &input, None);
            let _ = validate(kind, &input, Some("044525225"));
        }
    }

    #[test]
    fn digit_strings_with_multibyte_noise_never_panic(
        parts in proptest::collection::vec(prop_oneof!["[0-9]{1,12}", "[ :№+()\\-–—ЁёЖ😀\u{0301}\u{200b}]{1,3}"], 0..8),
    ) {
        let input: String = parts.concat();
        for kind in Kind::ALL {
            match validate(kind, &input, Some("044525225")) {
                Err(e) => prop_assert!(!e.message(Lang::Ru).is_empty()),
                // The normal form is a fixed point: it parses to itself.
                Ok(n) => prop_assert_eq!(validate(kind, &n, Some("044525225")), Ok(n.clone())),
            }
        }
    }
}
