//! Confirmation through a partner bank, end to end on both databases: the
//! real server with the in-process registries, and two demo banks on
//! loopback ports. One bank can be told to misbehave at its token endpoint
//! (a tampered, misaddressed, expired or replayed assertion; 400, 401,
//! 504), and each misbehaviour must end in the state and message the
//! person is promised.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use propusk_e2e::bank::{bank_sign_in, confirm_through, location, pick_bank, standard_account};
use propusk_e2e::pages::csrf_of;
use propusk_e2e::{TestApp, both_backends};
use propusk_registries::Population;
use propusk_registries::bank::{BankConfig, DemoBank};
use propusk_registries::population::{DocStatus, Person};
use propusk_service::confirm::{CALLBACK_PATH, PartnerBank};
use serde_json::{Value, json};

/// What the bank does wrong at `/token`.
#[derive(Debug, Clone, PartialEq)]
enum Mischief {
    None,
    TamperSignature,
    /// Re-signed by the bank with these claims changed.
    Edit(Value),
    /// Answers with this status (and an OAuth error) this many times.
    Status(u16, u32),
}

#[derive(Clone)]
struct Control {
    bank: Arc<Mutex<Option<DemoBank>>>,
    mischief: Arc<Mutex<Mischief>>,
    token_calls: Arc<AtomicU32>,
}

impl Control {
    fn set(&self, m: Mischief) {
        *self.mischief.lock().unwrap() = m;
        self.token_calls.store(0, Ordering::SeqCst);
    }
}

async fn misbehave(State(c): State<Control>, req: Request, next: Next) -> Response {
    if req.uri().path() != "/token" {
        return next.run(req).await;
    }
    c.token_calls.fetch_add(1, Ordering::SeqCst);
    let mischief = c.mischief.lock().unwrap().clone();
    if let Mischief::Status(code, left) = mischief {
        if left > 0 {
            *c.mischief.lock().unwrap() = Mischief::Status(code, left - 1);
            let status = axum::http::StatusCode::from_u16(code).unwrap();
            let error = if code == 401 {
                "invalid_client"
            } else {
                "invalid_request"
            };
            if code >= 500 {
                return (status, "gateway timeout").into_response();
            }
            return (
                status,
                axum::Json(json!({ "error": error, "error_description": "test" })),
            )
                .into_response();
        }
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if mischief == Mischief::None {
        return res;
    }
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let mut answer: Value = serde_json::from_slice(&body).unwrap();
    let jws = answer["identity_assertion"].as_str().unwrap().to_owned();
    let changed = match mischief {
        Mischief::TamperSignature => {
            let (rest, sig) = jws.rsplit_once('.').unwrap();
            let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            sig[5] ^= 0x01;
            format!("{rest}.{}", URL_SAFE_NO_PAD.encode(sig))
        }
        Mischief::Edit(edits) => {
            let payload = jws.split('.').nth(1).unwrap();
            let mut claims: Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
            for (k, v) in edits.as_object().unwrap() {
                claims[k] = v.clone();
            }
            let bank = c.bank.lock().unwrap().clone().unwrap();
            bank.key().sign("identity-assertion+jwt", &claims).unwrap()
        }
        _ => unreachable!(),
    };
    answer["identity_assertion"] = json!(changed);
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&answer).unwrap()))
        .unwrap()
}

/// A demo bank on a loopback port, its listener bound before Propusk starts.
struct BankSlot {
    listener: tokio::net::TcpListener,
    issuer: String,
}

async fn slot() -> BankSlot {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    BankSlot { listener, issuer }
}

fn partner(id: &str, name: &str, slot: &BankSlot) -> PartnerBank {
    PartnerBank {
        id: id.into(),
        name: name.into(),
        issuer: slot.issuer.clone(),
        client_id: "propusk".into(),
        client_secret: format!("{id}-secret"),
    }
}

fn serve_bank(slot: BankSlot, id: &str, name: &str, app: &TestApp, control: Option<Control>) {
    let bank = DemoBank::new(
        BankConfig {
            issuer: slot.issuer,
            name: name.into(),
            client_id: "propusk".into(),
            client_secret: format!("{id}-secret"),
            redirect_uris: vec![app.url(CALLBACK_PATH)],
        },
        // The demo's registries: the same people.
        Population::new(1, 10_000),
    )
    .unwrap();
    let mut router = bank.router();
    if let Some(c) = control {
        *c.bank.lock().unwrap() = Some(bank.clone());
        router = router.layer(from_fn_with_state(c, misbehave));
    }
    tokio::spawn(async move { axum::serve(slot.listener, router).await });
}

/// Bank customers (even indexes) with a valid passport, past the demo people.
fn customers() -> impl Iterator<Item = Person> {
    let pop = Population::new(1, 10_000);
    (300..10_000u64)
        .step_by(2)
        .filter_map(move |i| pop.person(i))
        .filter(|p| p.passport.status == DocStatus::Valid)
}

async fn expect(app: &TestApp, want_state: &str, want_reason: &str) {
    let html = page(app).await;
    let (state, reason) = shown(&html);
    assert_eq!(state, want_state, "{html}");
    assert!(
        reason.contains(want_reason),
        "reason {reason:?}, want {want_reason:?}"
    );
}

async fn page(app: &TestApp) -> String {
    app.get("/cabinet/confirm").await.text().await.unwrap()
}

/// The link's state text and the reason shown.
fn shown(html: &str) -> (String, String) {
    let pick = |id: &str| {
        html.split(&format!("id=\"{id}\">"))
            .nth(1)
            .map(|s| s.split('<').next().unwrap().to_owned())
            .unwrap_or_default()
    };
    (pick("link-state"), pick("link-reason"))
}

both_backends! {
    async fn a_bank_confirms_and_every_misbehaviour_has_its_outcome(db: TestDb) {
        let (main, other) = (slot().await, slot().await);
        let banks = vec![partner("test", "Тест-банк", &main), partner("other", "Другой банк", &other)];
        let app = TestApp::spawn_with(db, |s| {
            s.demo = true;
            s.partner_banks = banks;
        })
        .await;
        let control = Control {
            bank: Arc::new(Mutex::new(None)),
            mischief: Arc::new(Mutex::new(Mischief::None)),
            token_calls: Arc::new(AtomicU32::new(0)),
        };
        serve_bank(main, "test", "Тест-банк", &app, Some(control.clone()));
        serve_bank(other, "other", "Другой банк", &app, None);
        let mut people = customers();
        let person = people.next().unwrap();
        let stranger = people.next().unwrap();
        let phone = "+79167300001";

        // Someone registered whose passport and SNILS are not checked: no bank yet.
        propusk_e2e::pages::register(&app, phone).await;
        let app_http = propusk_e2e::client();
        let r = propusk_e2e::pages::sign_in(&app, &app_http, phone, propusk_e2e::pages::PASSWORD).await;
        assert_eq!(r.status(), 303);
        let html = app_http.get(app.url("/cabinet/confirm")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("id=\"confirm-level\""), "{html}");
        let csrf = csrf_of(&html);
        let r = app_http.post(app.url("/cabinet/confirm")).form(&[("csrf", csrf.as_str()), ("bank", "test")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Сначала укажите паспорт и СНИЛС"));

        standard_account(&app, &person, "+79167300002").await;
        let bank_phone = person.phone.to_string();
        let html = page(&app).await;
        assert!(html.contains("Тест-банк") && html.contains("Другой банк"), "both banks offered");
        assert!(html.contains("id=\"bank-link-none\""));

        control.set(Mischief::TamperSignature);
        assert_eq!(confirm_through(&app, "test", &bank_phone).await, "/cabinet/confirm");
        expect(&app, "отклонена", "Подпись банка не сходится").await;

        control.set(Mischief::Edit(json!({ "aud": "someone-else" })));
        confirm_through(&app, "test", &bank_phone).await;
        expect(&app, "отклонена", "предназначены не Пропуску").await;

        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        control.set(Mischief::Edit(json!({ "iat": now - 1_000, "exp": now - 400 })));
        confirm_through(&app, "test", &bank_phone).await;
        expect(&app, "отклонена", "Срок действия данных банка истёк").await;

        control.set(Mischief::Status(400, 1));
        confirm_through(&app, "test", &bank_phone).await;
        expect(&app, "отклонена", "Банк отклонил запрос: invalid_request: test").await;

        control.set(Mischief::Status(504, 10));
        confirm_through(&app, "test", &bank_phone).await;
        assert_eq!(control.token_calls.load(Ordering::SeqCst), 4, "the first try and three retries");
        expect(&app, "ожидает", "Банк недоступен. Попробуйте позже").await;

        // The bank signed in someone else: its data is not this person's.
        control.set(Mischief::None);
        confirm_through(&app, "test", &stranger.phone.to_string()).await;
        expect(&app, "отклонена", "Данные банка не совпадают с вашим профилем").await;

        // A 401 restarts the sign-in at the bank once, and then it works.
        control.set(Mischief::Status(401, 1));
        assert_eq!(confirm_through(&app, "test", &bank_phone).await, "/cabinet/confirm");
        assert_eq!(control.token_calls.load(Ordering::SeqCst), 2);
        let html = page(&app).await;
        assert_eq!(shown(&html).0, "активна", "{html}");
        assert!(html.contains("Банк попросил войти ещё раз") && html.contains("Личность подтверждена банком"));
        let cabinet = app.get("/cabinet/business").await.text().await.unwrap();
        assert!(!cabinet.contains("id=\"business-level\""), "the account is confirmed now");

        // The same assertion twice: the second is a replay. The active link stays.
        control.set(Mischief::Edit(json!({ "jti": "the-same-jti" })));
        confirm_through(&app, "test", &bank_phone).await;
        confirm_through(&app, "test", &bank_phone).await;
        let html = page(&app).await;
        assert_eq!(shown(&html).0, "активна");
        assert!(html.contains("Эти данные банка уже были использованы"), "{html}");

        // Changing the linked bank.
        control.set(Mischief::None);
        confirm_through(&app, "other", &bank_phone).await;
        let html = page(&app).await;
        assert_eq!(shown(&html).0, "активна");
        assert!(html.contains("<strong>Другой банк</strong>"), "{html}");

        // Another signed-in person cannot finish (or spoil) this person's sign-in.
        let authorize = pick_bank(&app, "test").await;
        let back = bank_sign_in(&app.http, &authorize, &bank_phone).await;
        assert_eq!(app_http.get(&back).send().await.unwrap().status(), 400);
        assert_eq!(location(&app.http.get(&back).send().await.unwrap()), "/cabinet/confirm");

        // A callback nobody started, and one used twice.
        let r = app.http.get(app.url("/cabinet/confirm/callback?state=forged&code=x")).send().await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Ссылка из банка устарела"));
        let authorize = pick_bank(&app, "test").await;
        let back = bank_sign_in(&app.http, &authorize, &bank_phone).await;
        assert_eq!(location(&app.http.get(&back).send().await.unwrap()), "/cabinet/confirm");
        assert_eq!(app.http.get(&back).send().await.unwrap().status(), 400);
        // Cancelled at the bank.
        let authorize = pick_bank(&app, "test").await;
        let state = reqwest::Url::parse(&authorize).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
        let r = app.http.get(app.url(&format!("/cabinet/confirm/callback?state={state}&error=access_denied"))).send().await.unwrap();
        assert_eq!(location(&r), "/cabinet/confirm");
        assert!(page(&app).await.contains("Вы отменили вход в банке"));
        let en = app.http.get(app.url("/cabinet/confirm?lang=en")).send().await.unwrap().text().await.unwrap();
        assert!(en.contains("Identity confirmation") && en.contains("active"), "{en}");
        app.shutdown().await;
    }
}
