use std::collections::HashSet;

use propusk_core::ident::{InnOrg, InnPerson, Ogrn, Ogrnip, Passport, Snils, Uin};

use super::*;

fn pop() -> Population {
    Population::new(7, 20_000)
}

#[test]
fn the_same_seed_gives_the_same_people_and_another_seed_others() {
    let (a, b, c) = (pop(), pop(), Population::new(8, 20_000));
    for i in [5, 6, 777, 19_999] {
        assert_eq!(a.person(i), b.person(i));
        assert_ne!(a.person(i).map(|p| p.snils), c.person(i).map(|p| p.snils));
    }
    assert_eq!(a.person(20_000), None);
}

#[test]
fn identifiers_are_valid_and_unique() {
    let pop = pop();
    let (mut snils, mut inn, mut passports, mut phones) = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    for p in pop.people() {
        assert!(Snils::parse(p.snils.as_str()).is_ok());
        assert!(InnPerson::parse(p.inn.as_str()).is_ok());
        assert!(p.passport.parsed().is_some(), "{:?}", p.passport);
        assert!(propusk_core::ident::DivisionCode::parse(&p.passport.division_code).is_ok());
        assert!(snils.insert(p.snils.clone()), "duplicate SNILS {}", p.snils);
        assert!(inn.insert(p.inn.clone()));
        assert!(passports.insert((p.passport.series.clone(), p.passport.number.clone())));
        assert!(phones.insert(p.phone.clone()));
        assert!(
            !p.passport.issued_by.contains('{'),
            "{}",
            p.passport.issued_by
        );
        assert!((18..=86).contains(&p.age()), "age {}", p.age());
    }
    assert_eq!(snils.len(), 20_000);
}

#[test]
fn names_have_the_gender_forms_of_their_holder() {
    let pop = pop();
    let (mut women, mut men) = (0, 0);
    for p in pop.people().skip(FIXTURES.len()).take(5_000) {
        let last = p.last_name.as_str();
        match p.gender {
            Gender::Female => {
                women += 1;
                assert!(
                    p.middle_name.ends_with("вна") || p.middle_name.ends_with("чна"),
                    "{}",
                    p.full_name()
                );
                assert!(
                    last.ends_with('а')
                        || last.ends_with("ая")
                        || last.ends_with("их")
                        || last.ends_with("ых"),
                    "{}",
                    p.full_name()
                );
            }
            Gender::Male => {
                men += 1;
                assert!(p.middle_name.ends_with("ич"), "{}", p.full_name());
                assert!(
                    !last.ends_with("ова") && !last.ends_with("ская"),
                    "{}",
                    p.full_name()
                );
            }
        }
    }
    assert!(women > 2_300 && men > 1_900, "{women} women, {men} men");
}

#[test]
fn every_identifier_finds_its_person_back() {
    let pop = pop();
    for i in (0..20_000).step_by(97).chain(0..FIXTURES.len() as u64) {
        let p = pop.person(i).unwrap();
        assert_eq!(pop.by_snils(&p.snils).map(|x| x.index), Some(i));
        assert_eq!(pop.by_inn(&p.inn).map(|x| x.index), Some(i));
        assert_eq!(pop.by_phone(&p.phone).map(|x| x.index), Some(i));
        let passport = p.passport.parsed().unwrap();
        assert_eq!(pop.by_passport(&passport).map(|x| x.index), Some(i));
        for e in pop.estate(&p) {
            let (owner, found) = pop.estate_by_number(&e.cadastral_number).unwrap();
            assert_eq!((owner.index, &found), (i, &e));
            assert!(propusk_core::ident::CadastralNumber::parse(&e.cadastral_number).is_ok());
        }
        for c in pop.charges(&p) {
            let uin = Uin::parse(&c.uin).unwrap();
            let (payer, found) = pop.charge_by_uin(&uin).unwrap();
            assert_eq!((payer.index, &found), (i, &c));
        }
        if let Some(e) = pop.entrepreneur(&p) {
            let back = pop.entrepreneur_by_ogrnip(&Ogrnip::parse(&e.ogrnip).unwrap());
            assert_eq!(back.map(|b| b.person_index), Some(i));
            assert_eq!(e.inn, p.inn.as_str());
        }
        for c in pop.companies_headed(&p) {
            assert_eq!(c.head.person_index, i);
            assert_eq!(
                pop.company_by_ogrn(&Ogrn::parse(&c.ogrn).unwrap()).as_ref(),
                Some(&c)
            );
            assert_eq!(
                pop.company_by_inn(&InnOrg::parse(&c.inn).unwrap()).as_ref(),
                Some(&c)
            );
        }
    }
}

#[test]
fn unknown_identifiers_find_nobody() {
    let pop = Population::new(7, 100);
    let other = Population::new(7, 20_000).person(15_000).unwrap();
    assert!(pop.by_snils(&other.snils).is_none());
    assert!(pop.by_inn(&other.inn).is_none());
    assert!(pop.by_passport(&other.passport.parsed().unwrap()).is_none());
    assert!(
        pop.by_passport(&Passport::parse("0101 000001").unwrap())
            .is_none()
    );
    assert!(pop.estate_by_number("77:01:0000001:1").is_none());
}

#[test]
fn companies_have_valid_numbers_and_heads_from_the_population() {
    let pop = pop();
    assert_eq!(pop.companies(), 1_000);
    for c in (0..pop.companies()).filter_map(|i| pop.company(i)) {
        assert!(
            Ogrn::parse(&c.ogrn).is_ok() && InnOrg::parse(&c.inn).is_ok(),
            "{c:?}"
        );
        assert!(propusk_core::ident::Kpp::parse(&c.kpp).is_ok());
        let head = pop.person(c.head.person_index).unwrap();
        assert_eq!(head.inn.as_str(), c.head.inn);
        assert_eq!(pop.companies_headed(&head), vec![c.clone()]);
    }
    let demo = pop
        .company_by_ogrn(&Ogrn::parse(DEMO_COMPANY_OGRN).unwrap())
        .unwrap();
    assert_eq!(demo.head.last_name, "Морозов");
    assert_eq!(demo.short_name, "ООО \"Пропуск Демо\"");
}

#[test]
fn income_pension_estate_and_charges_look_like_the_registries() {
    let pop = pop();
    let (mut earners, mut owners, mut debtors, mut pensioners) = (0, 0, 0, 0);
    for p in pop.people().take(2_000) {
        let income = pop.income(&p);
        if !income.is_empty() {
            earners += 1;
        }
        for i in &income {
            assert_eq!(i.total, i.months.iter().map(|m| m.amount).sum::<i64>());
            assert!(i.tax_withheld > 0 && i.tax_withheld < i.total / 5);
            assert!(InnOrg::parse(&i.employer_inn).is_ok());
        }
        let pension = pop.pension(&p);
        assert!(pension.points_total >= 0.0);
        if pension.monthly_payment.is_some() {
            pensioners += 1;
        }
        let estate = pop.estate(&p);
        owners += usize::from(!estate.is_empty());
        for e in &estate {
            if let Some((n, d)) = e.share {
                assert!(n < d);
            }
        }
        let charges = pop.charges(&p);
        debtors += usize::from(!charges.is_empty());
        for c in &charges {
            assert!(c.total_amount > 0 && c.kbk.len() == 20 && c.payer_identifier.len() == 22);
            assert!(c.payment_term > c.bill_date);
        }
    }
    assert!((1_200..1_900).contains(&earners), "{earners}");
    assert!((900..1_700).contains(&owners), "{owners}");
    assert!((400..1_500).contains(&debtors), "{debtors}");
    assert!(pensioners > 100, "{pensioners}");
}

#[test]
fn the_demo_people_lead_every_population() {
    for seed in [0, 1, 99] {
        let pop = Population::new(seed, 10);
        let morozov = pop.person(2).unwrap();
        assert_eq!(morozov.full_name(), "Морозов Алексей Викторович");
        assert_eq!(morozov.snils.as_str(), "160-503-741 28");
        let lebedev = pop
            .by_snils(&Snils::parse("186-432-571 91").unwrap())
            .unwrap();
        assert_eq!(lebedev.passport.status, DocStatus::Expired);
        let kuznetsova = pop.person(3).unwrap();
        assert_eq!(
            pop.entrepreneur(&kuznetsova).unwrap().ogrnip,
            "321500000543216"
        );
    }
}
