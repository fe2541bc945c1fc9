//! From the population's records to the registries' wire shapes, and the
//! comparisons the checking services make.

use crate::population::{
    Charge, ChargeKind, Company, Discount, Entrepreneur, Estate, Income, Pension, Person,
};
use crate::wire::{
    self, AddressDoc, ChargeDoc, DiscountDoc, EgrRow, EgripExtract, EgrulExtract, EgrulHead,
    EstateDoc, IncomeRow, IncomeStatement, PayeeDoc, PayerDoc, PensionStatement, PensionYearDoc,
    PersonQuery, RestrictionDoc, RightDoc, Seniority,
};

use propusk_core::account::same_name;

/// The fields of `q` that differ from the person (camelCase names).
pub fn mismatches(p: &Person, q: &PersonQuery) -> Vec<String> {
    let mut out = Vec::new();
    if !same_name(&p.last_name, &q.last_name) {
        out.push("lastName".into());
    }
    if !same_name(&p.first_name, &q.first_name) {
        out.push("firstName".into());
    }
    if !same_name(&p.middle_name, q.middle_name.as_deref().unwrap_or("")) {
        out.push("middleName".into());
    }
    if wire::parse_date(&q.birth_date) != Some(p.birth_date) {
        out.push("birthDate".into());
    }
    out
}

pub fn address(p: &Person) -> AddressDoc {
    let a = &p.address;
    AddressDoc {
        kind: "PRG".into(),
        country_id: "RUS".into(),
        zip_code: a.zip_code.clone(),
        address_str: format!("{}, г {}, {} {}", a.region, a.city, a.street_type, a.street),
        region: a.region.clone(),
        city: a.city.clone(),
        street: a.street.clone(),
        house: a.house.clone(),
        flat: a.flat.clone(),
        fias_code: a.fias_code.clone(),
    }
}

pub fn income(i: &Income) -> IncomeStatement {
    IncomeStatement {
        year: i.year,
        agent_inn: i.employer_inn.clone(),
        agent_kpp: i.employer_kpp.clone(),
        agent_name: i.employer_name.clone(),
        oktmo: i.employer_oktmo.clone(),
        rate: i.rate,
        rows: i
            .months
            .iter()
            .map(|m| IncomeRow {
                month: m.month,
                code: m.code,
                amount: m.amount,
            })
            .collect(),
        total_income: i.total,
        tax_base: i.tax_base,
        tax_computed: i.tax_computed,
        tax_withheld: i.tax_withheld,
    }
}

pub fn pension(p: &Person, pension: &Pension) -> PensionStatement {
    PensionStatement {
        snils: p.snils.to_string(),
        ipk: pension.points_total,
        years: pension
            .years
            .iter()
            .map(|y| PensionYearDoc {
                year: y.year,
                ipk: y.points,
                employer: y.employer_name.clone(),
                contributions: y.contributions,
            })
            .collect(),
        seniority: Seniority {
            years: pension.seniority_years,
            months: pension.seniority_months,
            days: pension.seniority_days,
        },
        savings: pension.savings,
        savings_manager: pension.savings_manager.clone(),
        monthly_payment: pension.monthly_payment,
        pensioner_since: pension.pensioner_since.map(wire::ru_date),
        as_of: wire::ru_date(crate::population::AS_OF),
    }
}

fn status(terminated: Option<time::Date>) -> (String, Option<String>) {
    match terminated {
        Some(d) => ("ликвидировано".into(), Some(wire::ru_date(d))),
        None => ("действующее".into(), None),
    }
}

pub fn company_row(c: &Company) -> EgrRow {
    EgrRow {
        n: c.full_name.clone(),
        c: c.short_name.clone(),
        i: c.inn.clone(),
        o: c.ogrn.clone(),
        p: c.kpp.clone(),
        r: wire::ru_date(c.ogrn_date),
        g: format!(
            "{}: {} {} {}",
            c.head.position, c.head.last_name, c.head.first_name, c.head.middle_name
        ),
        k: "ul".into(),
        rn: c.region.to_uppercase(),
        e: c.terminated.map(wire::ru_date),
    }
}

pub fn entrepreneur_row(e: &Entrepreneur) -> EgrRow {
    EgrRow {
        n: format!("{} {} {}", e.last_name, e.first_name, e.middle_name).to_uppercase(),
        c: String::new(),
        i: e.inn.clone(),
        o: e.ogrnip.clone(),
        p: String::new(),
        r: wire::ru_date(e.ogrnip_date),
        g: String::new(),
        k: "fl".into(),
        rn: e.region.to_uppercase(),
        e: e.terminated.map(wire::ru_date),
    }
}

pub fn company(c: &Company) -> EgrulExtract {
    let (status, termination_date) = status(c.terminated);
    EgrulExtract {
        ogrn: c.ogrn.clone(),
        inn: c.inn.clone(),
        kpp: c.kpp.clone(),
        ogrn_date: wire::ru_date(c.ogrn_date),
        opf: c.opf_full.clone(),
        full_name: c.full_name.clone(),
        short_name: c.short_name.clone(),
        address: c.address.clone(),
        region_code: c.region_code.clone(),
        okved_code: c.okved.0.clone(),
        okved_name: c.okved.1.clone(),
        head: EgrulHead {
            last_name: c.head.last_name.clone(),
            first_name: c.head.first_name.clone(),
            middle_name: c.head.middle_name.clone(),
            inn: c.head.inn.clone(),
            position: c.head.position.clone(),
        },
        status,
        termination_date,
    }
}

pub fn entrepreneur(e: &Entrepreneur) -> EgripExtract {
    let (status, termination_date) = status(e.terminated);
    EgripExtract {
        ogrnip: e.ogrnip.clone(),
        inn: e.inn.clone(),
        ogrnip_date: wire::ru_date(e.ogrnip_date),
        last_name: e.last_name.clone(),
        first_name: e.first_name.clone(),
        middle_name: e.middle_name.clone(),
        region: e.region.clone(),
        okved_code: e.okved.0.clone(),
        okved_name: e.okved.1.clone(),
        status,
        termination_date,
    }
}

pub fn estate(p: &Person, e: &Estate) -> EstateDoc {
    let (type_code, type_name) = e.kind.code();
    let (right_code, right_name) = e.right.code();
    EstateDoc {
        quarter_cad_number: e
            .cadastral_number
            .rsplit_once(':')
            .map_or_else(String::new, |(q, _)| q.to_owned()),
        cad_number: e.cadastral_number.clone(),
        type_code: type_code.into(),
        type_name: type_name.into(),
        name: e.name.clone(),
        purpose: e.purpose.clone(),
        readable_address: e.address.clone(),
        area: format!("{}.{}", e.area_dm / 10, e.area_dm % 10),
        cost: e.cadastral_value,
        right: RightDoc {
            right_type_code: right_code.into(),
            right_type_name: right_name.into(),
            right_number: e.right_number.clone(),
            registration_date: wire::iso_date(e.registered),
            share_numerator: e.share.map(|s| s.0),
            share_denominator: e.share.map(|s| s.1),
            holder: p.full_name(),
        },
        restrictions: e
            .encumbrances
            .iter()
            .map(|r| RestrictionDoc {
                number: r.number.clone(),
                type_code: r.type_code.clone(),
                type_name: r.type_name.clone(),
                registration_date: wire::iso_date(r.registered),
                in_favour_of: r.in_favour_of.clone(),
            })
            .collect(),
    }
}

fn kind_name(k: ChargeKind) -> &'static str {
    match k {
        ChargeKind::TrafficFine => "traffic_fine",
        ChargeKind::PropertyTax => "property_tax",
        ChargeKind::TransportTax => "transport_tax",
        ChargeKind::BailiffDebt => "bailiff_debt",
        ChargeKind::StateFee => "state_fee",
    }
}

/// What is due on `today` before payments: the discount applies until its expiry.
pub fn due(c: &Charge, today: time::Date) -> i64 {
    match &c.discount {
        Some(Discount::Size { value, expiry }) if today <= *expiry => {
            c.total_amount - c.total_amount * i64::from(*value) / 100
        }
        _ => c.total_amount,
    }
}

pub fn charge(c: &Charge, paid: i64, today: time::Date) -> ChargeDoc {
    let left = (due(c, today) - paid).max(0);
    ChargeDoc {
        supplier_bill_id: c.uin.clone(),
        bill_date: format!("{}T00:00:00+03:00", wire::iso_date(c.bill_date)),
        valid_until: c.valid_until.map(wire::iso_date),
        payment_term: wire::iso_date(c.payment_term),
        total_amount: c.total_amount,
        purpose: c.purpose.clone(),
        kbk: c.kbk.clone(),
        oktmo: c.oktmo.clone(),
        kind: kind_name(c.kind).into(),
        payee: PayeeDoc {
            name: c.payee.name.clone(),
            inn: c.payee.inn.clone(),
            kpp: c.payee.kpp.clone(),
            ogrn: c.payee.ogrn.clone(),
            account_number: c.payee.account_number.clone(),
            bank_name: c.payee.bank_name.clone(),
            bik: c.payee.bik.clone(),
            correspondent_bank_account: c.payee.correspondent_account.clone(),
        },
        payer: PayerDoc {
            payer_identifier: c.payer_identifier.clone(),
            payer_name: c.payer_name.clone(),
        },
        discount: c
            .discount
            .as_ref()
            .map(|Discount::Size { value, expiry }| DiscountDoc {
                value: *value,
                expiry: wire::iso_date(*expiry),
            }),
        legal_act: c.legal_act.clone(),
        amount_to_pay: left,
        acknowledgment_status: (paid > 0 && left == 0).then_some(1),
    }
}
