//! The emulator on a loopback port and the connectors against it: answers in
//! the registries' shapes, retries through injected faults, time-outs, a
//! circuit that opens when the registry is gone, and idempotent payments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point
use std::time::Duration;

use propusk_core::ident::{Ogrn, Uin};
use propusk_registries::Population;
use propusk_registries::connect::{
    BreakerConfig, Endpoints, Registries, Registry, RegistryError, RetryPolicy,
};
use propusk_registries::emulator::{Emulator, Faults};
use propusk_registries::wire::*;

struct Running {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.task.await;
    }
}

async fn start(size: u64, faults: Faults) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let emu = Emulator::new(Population::new(11, size), faults);
    let task = tokio::spawn(emu.serve(listener, async {
        let _ = rx.await;
    }));
    Running {
        base,
        stop: Some(tx),
        task,
    }
}

fn client(base: &str, policy: RetryPolicy, breaker: BreakerConfig) -> Registries {
    Registries::new(Endpoints::one_base(base), policy, breaker).unwrap()
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        timeout: Duration::from_secs(2),
        attempts: 5,
        backoff_base: Duration::from_millis(5),
        backoff_cap: Duration::from_millis(40),
    }
}

fn query(p: &propusk_registries::population::Person) -> PersonQuery {
    PersonQuery {
        last_name: p.last_name.clone(),
        first_name: p.first_name.clone(),
        middle_name: Some(p.middle_name.clone()),
        birth_date: ru_date(p.birth_date),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_checks_answer_as_the_registries_do() {
    let emu = start(2_000, Faults::default()).await;
    let reg = client(&emu.base, quick(), BreakerConfig::default());
    let pop = Population::new(11, 2_000);
    let p = pop.person(1_234).unwrap();

    let inn = reg
        .inn_by_passport(&InnRequest {
            person: query(&p),
            doc_type: "21".into(),
            doc_number: format!("{} {}", p.passport.series, p.passport.number),
        })
        .await
        .unwrap();
    assert_eq!(inn.as_deref(), Some(p.inn.as_str()));

    let mut wrong = query(&p);
    wrong.birth_date = "01.01.1901".into();
    let none = reg
        .inn_by_passport(&InnRequest {
            person: wrong.clone(),
            doc_type: "21".into(),
            doc_number: format!("{}{}", p.passport.series, p.passport.number),
        })
        .await
        .unwrap();
    assert_eq!(none, None);

    let check = reg
        .check_passport(&PassportCheckRequest {
            series: p.passport.series.clone(),
            number: p.passport.number.clone(),
            person: Some(query(&p)),
            issue_date: Some(iso_date(p.passport.issue_date)),
        })
        .await
        .unwrap();
    assert_eq!(check.mismatched, Vec::<String>::new());
    let lebedev = pop.person(4).unwrap();
    let expired = reg
        .check_passport(&PassportCheckRequest {
            series: lebedev.passport.series.clone(),
            number: lebedev.passport.number.clone(),
            person: None,
            issue_date: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (expired.status, expired.reason.as_deref()),
        (PassportStatus::Invalid, Some("EXPIRED"))
    );

    let snils = reg
        .verify_snils(&SnilsVerifyRequest {
            snils: p.snils.to_string(),
            person: query(&p),
            gender: Some(p.gender.code().into()),
        })
        .await
        .unwrap();
    assert_eq!(snils.result, SnilsResult::Match);
    let mismatch = reg
        .verify_snils(&SnilsVerifyRequest {
            snils: p.snils.to_string(),
            person: wrong,
            gender: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (mismatch.result, mismatch.mismatched),
        (SnilsResult::Mismatch, vec!["birthDate".to_owned()])
    );

    // A malformed request is refused at once, not retried.
    let refused = reg
        .verify_snils(&SnilsVerifyRequest {
            snils: "123".into(),
            person: query(&p),
            gender: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(refused, RegistryError::Refused { status: 400, .. }),
        "{refused:?}"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organizations_property_income_pension_and_charges() {
    let emu = start(2_000, Faults::default()).await;
    let reg = client(&emu.base, quick(), BreakerConfig::default());
    let pop = Population::new(11, 2_000);

    let demo = reg
        .egrul(&Ogrn::parse("1207700012343").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (demo.head.last_name.as_str(), demo.status.as_str()),
        ("Морозов", "действующее")
    );
    let rows = reg.egr_search("1207700012343").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].g.ends_with("Морозов Алексей Викторович"),
        "{}",
        rows[0].g
    );
    assert!(
        reg.egrul(&Ogrn::parse("1027700132195").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let ip = reg.egr_search("321500000543216").await.unwrap();
    assert_eq!((ip[0].k.as_str(), ip[0].i.as_str()), ("fl", "500345678979"));

    let (mut objects, mut charges, mut incomes) = (0, 0, 0);
    for i in (5..2_000).step_by(50) {
        let p = pop.person(i).unwrap();
        let key = PersonKey {
            snils: Some(p.snils.to_string()),
            ..PersonKey::default()
        };
        let estate = reg.estate(&key).await.unwrap();
        assert_eq!(estate.len(), pop.estate(&p).len());
        objects += estate.len();
        if let Some(first) = estate.first() {
            let cad = propusk_core::ident::CadastralNumber::parse(&first.cad_number).unwrap();
            assert_eq!(reg.estate_object(&cad).await.unwrap().as_ref(), Some(first));
        }
        let by_payer = reg
            .charges(&PersonKey {
                payer_identifier: Some(propusk_registries::population::payer_identifier(&p)),
                ..PersonKey::default()
            })
            .await
            .unwrap();
        assert_eq!(by_payer.len(), pop.charges(&p).len());
        charges += by_payer.len();
        let income = reg
            .income(&IncomeRequest {
                inn: p.inn.to_string(),
                year: None,
            })
            .await
            .unwrap()
            .unwrap();
        incomes += income.len();
        let pension = reg.pension(&key).await.unwrap().unwrap();
        assert_eq!(pension.snils, p.snils.as_str());
    }
    assert!(
        objects > 10 && charges > 10 && incomes > 30,
        "{objects} {charges} {incomes}"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_are_matched_once_per_payment_id() {
    let emu = start(2_000, Faults::default()).await;
    let reg = client(&emu.base, quick(), BreakerConfig::default());
    let pop = Population::new(11, 2_000);
    let (_, charge) = (5..2_000)
        .filter_map(|i| pop.person(i))
        .find_map(|p| {
            pop.charges(&p)
                .into_iter()
                .find(|c| c.discount.is_none())
                .map(|c| (p, c))
        })
        .unwrap();
    let uin = Uin::parse(&charge.uin).unwrap();
    let half = charge.total_amount / 2;
    let pay = |id: &str, amount: i64| PaymentNotice {
        payment_id: id.into(),
        supplier_bill_id: charge.uin.clone(),
        amount,
        payment_date: "2026-12-01".into(),
    };
    let first = reg.report_payment(&pay("p-1", half)).await.unwrap();
    assert_eq!(
        (first.acknowledgment_status, first.amount_to_pay),
        (2, charge.total_amount - half)
    );
    let again = reg.report_payment(&pay("p-1", half)).await.unwrap();
    assert_eq!(
        again.amount_to_pay,
        charge.total_amount - half,
        "a repeat changes nothing"
    );
    let rest = reg
        .report_payment(&pay("p-2", charge.total_amount - half))
        .await
        .unwrap();
    assert_eq!((rest.acknowledgment_status, rest.amount_to_pay), (1, 0));
    let doc = reg.charge(&uin).await.unwrap().unwrap();
    assert_eq!((doc.amount_to_pay, doc.acknowledgment_status), (0, Some(1)));
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_carry_calls_through_a_fifth_of_answers_failing() {
    let emu = start(
        1_000,
        Faults {
            latency: Duration::from_millis(20),
            rate: 0.2,
        },
    )
    .await;
    let reg = client(&emu.base, quick(), BreakerConfig::default());
    let pop = Population::new(11, 1_000);
    for i in 5..80 {
        let p = pop.person(i).unwrap();
        let got = reg
            .verify_snils(&SnilsVerifyRequest {
                snils: p.snils.to_string(),
                person: query(&p),
                gender: None,
            })
            .await
            .unwrap_or_else(|e| panic!("person {i}: {e}"));
        assert_eq!(got.result, SnilsResult::Match);
    }
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_registry_times_out_and_a_dead_one_opens_the_circuit() {
    let slow = start(
        100,
        Faults {
            latency: Duration::from_millis(400),
            rate: 0.0,
        },
    )
    .await;
    let policy = RetryPolicy {
        timeout: Duration::from_millis(100),
        attempts: 2,
        ..quick()
    };
    let reg = client(&slow.base, policy, BreakerConfig::default());
    let err = reg.egr_search("1207700012343").await.unwrap_err();
    match &err {
        RegistryError::Unavailable {
            registry, reason, ..
        } => {
            assert_eq!((*registry, reason.as_str()), (Registry::Fns, "timeout"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_transient());
    slow.stop().await;

    let gone = start(100, Faults::default()).await;
    let base = gone.base.clone();
    gone.stop().await;
    let reg = client(
        &base,
        RetryPolicy {
            attempts: 3,
            ..quick()
        },
        BreakerConfig {
            threshold: 3,
            open_for: Duration::from_secs(30),
        },
    );
    let first = reg.egr_search("1207700012343").await.unwrap_err();
    assert!(
        matches!(&first, RegistryError::Unavailable { reason, .. } if reason.starts_with("connection")),
        "{first:?}"
    );
    assert!(reg.breaker(Registry::Fns).is_open());
    let fast = std::time::Instant::now();
    let second = reg.egr_search("1207700012343").await.unwrap_err();
    assert!(
        matches!(
            second,
            RegistryError::Unavailable {
                retry_after: Some(_),
                ..
            }
        ),
        "{second:?}"
    );
    assert!(
        fast.elapsed() < Duration::from_millis(50),
        "an open circuit fails at once"
    );
    // The other registries have circuits of their own.
    assert!(!reg.breaker(Registry::Mvd).is_open());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_and_health_are_served_and_spared_from_faults() {
    let emu = start(
        100,
        Faults {
            latency: Duration::ZERO,
            rate: 1.0,
        },
    )
    .await;
    let http = reqwest::Client::new();
    for _ in 0..5 {
        let health = http
            .get(format!("{}/healthz", emu.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    }
    let doc: serde_json::Value = http
        .get(format!("{}/openapi.json", emu.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["paths"]["/mvd/passport/check"]["post"].is_object(),
        "{doc}"
    );
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let failed = http
        .post(format!("{}/sfr/pension", emu.base))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert!(failed.status().is_server_error());
    assert_eq!(failed.headers()["content-type"], "application/problem+json");
    emu.stop().await;
}
