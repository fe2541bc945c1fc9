//! What the service tests share: services on a fresh database with a clock
//! the test moves, a registration form, and reading codes from the outbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::{Arc, Mutex};

use propusk_core::Lang;
use propusk_core::password::{HashParams, Hasher};
use propusk_core::time::Clock;
use propusk_core::vault::KeyRing;
use propusk_service::registration::Registration;
use propusk_service::{Services, notify};
use propusk_store::outbox::Channel;
use propusk_store::{Db, DbOptions};
use propusk_testkit::TestDb;
use time::{Duration, OffsetDateTime};

/// A clock the test moves by hand.
pub struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn now_for_test(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }

    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

pub async fn services(tdb: &TestDb) -> (Services, Arc<TestClock>) {
    let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    let clock = Arc::new(TestClock(Mutex::new(propusk_core::time::truncate_micros(
        OffsetDateTime::now_utc(),
    ))));
    let services = Services::new(
        db,
        Arc::new(KeyRing::generate(&mut rand_core::OsRng)),
        Arc::new(Hasher::new(HashParams::default(), &mut rand_core::OsRng).unwrap()),
        clock.clone(),
        "http://propusk.test".into(),
    );
    (services, clock)
}

pub fn form(phone: &str) -> Registration {
    Registration {
        last_name: "Иванова".into(),
        first_name: "Мария".into(),
        middle_name: "Петровна".into(),
        phone: phone.into(),
        email: String::new(),
        password: "Lilac-Harbour-71".into(),
        pd_consent: true,
        lang: Lang::Ru,
    }
}

/// The code in the newest SMS to `phone`, read from the outbox as a person would.
pub async fn last_code(s: &Services, phone: &str) -> String {
    let messages = notify::recent(&s.db, &s.vault, 50).await.unwrap();
    let m = messages
        .iter()
        .find(|m| m.channel == Channel::Sms && m.to == phone)
        .expect("an SMS");
    m.content
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Registers a person with `phone` and confirms it: an active account.
pub async fn registered(s: &Services, phone: &str) -> uuid::Uuid {
    let reg = s.register_person(form(phone)).await.unwrap();
    let normalized = propusk_core::ident::Phone::parse(phone).unwrap();
    let code = last_code(s, normalized.as_str()).await;
    s.confirm_phone(reg.registration, &code).await.unwrap();
    reg.registration
}

/// A browser at `ip`.
pub fn client(ip: &str) -> propusk_service::signin::Client {
    propusk_service::signin::Client {
        ip: ip.into(),
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
            .into(),
        device_token: None,
        lang: Lang::Ru,
    }
}

pub const PASSWORD: &str = "Lilac-Harbour-71";

/// The registry emulator on a loopback port, for `seed` and `people`.
pub async fn emulator(seed: u64, people: u64) -> String {
    use propusk_registries::emulator::{Emulator, Faults};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let emu = Emulator::new(
        propusk_registries::Population::new(seed, people),
        Faults::default(),
    );
    tokio::spawn(emu.serve(listener, std::future::pending()));
    url
}

/// Connectors to every registry at `url`, with short timeouts and retries.
pub fn connectors(url: &str) -> Arc<propusk_registries::connect::Registries> {
    use propusk_registries::connect::{BreakerConfig, Endpoints, Registries, RetryPolicy};
    let policy = RetryPolicy {
        timeout: std::time::Duration::from_millis(800),
        attempts: 2,
        backoff_base: std::time::Duration::from_millis(5),
        backoff_cap: std::time::Duration::from_millis(20),
    };
    Arc::new(Registries::new(Endpoints::one_base(url), policy, BreakerConfig::default()).unwrap())
}
