//! A person of the demo population as a Propusk account at the standard
//! level, and the sign-in at a partner bank driven over plain HTTP.

use propusk_registries::population::{Gender, Person};

use crate::TestApp;
use crate::pages::{PASSWORD, csrf_of};

/// The profile form filled with the person's documents.
pub fn profile_form(csrf: &str, p: &Person) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("birth_date", p.birth_date.to_string()),
        ("birth_place", p.birth_place.clone()),
        (
            "gender",
            match p.gender {
                Gender::Male => "male",
                Gender::Female => "female",
            }
            .into(),
        ),
        (
            "passport_number",
            format!("{} {}", p.passport.series, p.passport.number),
        ),
        ("passport_issue_date", p.passport.issue_date.to_string()),
        ("passport_issuer", p.passport.issued_by.clone()),
        ("passport_division_code", p.passport.division_code.clone()),
        ("snils", p.snils.to_string()),
        ("inn", String::new()),
        ("address", p.address.line()),
        ("postal_code", p.address.zip_code.clone()),
    ]
}

/// Registers `p` with `phone` (demo mode: codes from the outbox), signs in
/// with `app.http`, enters the documents and waits for the registries'
/// check to make the account standard.
pub async fn standard_account(app: &TestApp, p: &Person, phone: &str) {
    crate::pages::register_named(app, phone, [&p.last_name, &p.first_name, &p.middle_name]).await;
    let r = crate::pages::sign_in(app, &app.http, phone, PASSWORD).await;
    assert_eq!(r.status(), 303, "sign-in");
    let csrf = csrf_of(&app.get("/cabinet/profile").await.text().await.unwrap());
    let r = app
        .http
        .post(app.url("/cabinet/profile"))
        .form(&profile_form(&csrf, p))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "profile saved");
    // A minute: through a faulty registry a check may wait for its next try.
    for _ in 0..600 {
        let html = app.get("/cabinet/profile").await.text().await.unwrap();
        if html.contains("Паспорт и СНИЛС проверены") {
            return;
        }
        assert!(!html.contains("не пройдена"), "the check failed: {html}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the identity check did not finish");
}

/// Where a response redirects to.
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect: {}", r.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Picks `bank` on the confirmation page; returns the bank's authorization URL.
pub async fn pick_bank(app: &TestApp, bank: &str) -> String {
    let csrf = csrf_of(&app.get("/cabinet/confirm").await.text().await.unwrap());
    let r = app
        .http
        .post(app.url("/cabinet/confirm"))
        .form(&[("csrf", csrf.as_str()), ("bank", bank)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    location(&r)
}

/// Signs in at the bank's authorization URL as the customer with `phone`
/// and returns the URL the bank sends the person back to.
pub async fn bank_sign_in(http: &reqwest::Client, authorize_url: &str, phone: &str) -> String {
    let url = reqwest::Url::parse(authorize_url).unwrap();
    let page = http.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the bank's sign-in page");
    let mut form: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    form.push(("bank_login".into(), phone.into()));
    form.push((
        "bank_password".into(),
        propusk_registries::bank::CUSTOMER_PASSWORD.into(),
    ));
    let mut post = url.clone();
    post.set_query(None);
    let r = http.post(post).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "the bank signs in");
    location(&r)
}

/// The whole round from picking `bank` to the page after the callback;
/// follows one restart if the bank asks for it. Returns the last redirect.
pub async fn confirm_through(app: &TestApp, bank: &str, bank_phone: &str) -> String {
    let mut authorize = pick_bank(app, bank).await;
    for _ in 0..3 {
        let back = bank_sign_in(&app.http, &authorize, bank_phone).await;
        let r = app.http.get(back).send().await.unwrap();
        assert_eq!(r.status(), 303, "the callback redirects");
        let next = location(&r);
        if next.starts_with('/') {
            return next;
        }
        authorize = next;
    }
    panic!("the bank kept asking to sign in again");
}
