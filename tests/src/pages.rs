//! Acting as a person over plain HTTP: reading form tokens, registering,
//! reading codes from the demo outbox, signing in.

use serde_json::Value;

use crate::TestApp;

pub const PASSWORD: &str = "Lilac-Harbour-71";

/// The CSRF token in a page's first form.
pub fn csrf_of(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

pub async fn get_csrf(app: &TestApp, path: &str) -> String {
    csrf_of(&app.get(path).await.text().await.unwrap())
}

/// The registration form of Анна Сергеевна Петрова with this phone and password.
pub fn registration(csrf: &str, phone: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("last_name", "Петрова".into()),
        ("first_name", "Анна".into()),
        ("middle_name", "Сергеевна".into()),
        ("phone", phone.to_owned()),
        ("email", String::new()),
        ("password", password.to_owned()),
        ("pd_consent", "yes".into()),
    ]
}

/// The digits of the newest SMS to `phone` (normalized, `+7…`) in the demo outbox.
pub async fn latest_code(app: &TestApp, phone: &str) -> String {
    let outbox: Value = app.get("/dev/outbox.json").await.json().await.unwrap();
    let sms = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == "sms" && m["to"] == phone)
        .expect("sms");
    sms["body"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Registers and confirms `phone` (normalized, `+7…`) with [`PASSWORD`]. Needs demo mode.
pub async fn register(app: &TestApp, phone: &str) {
    register_as(app, phone, "Петрова").await;
}

/// The same, for Анна Сергеевна with this last name.
pub async fn register_as(app: &TestApp, phone: &str, last_name: &str) {
    register_named(app, phone, [last_name, "Анна", "Сергеевна"]).await;
}

/// The same with the whole name: last, first, middle.
pub async fn register_named(app: &TestApp, phone: &str, name: [&str; 3]) {
    let csrf = get_csrf(app, "/register").await;
    let mut form = registration(&csrf, phone, PASSWORD);
    for (k, v) in form.iter_mut() {
        match *k {
            "last_name" => *v = name[0].to_owned(),
            "first_name" => *v = name[1].to_owned(),
            "middle_name" => *v = name[2].to_owned(),
            _ => {}
        }
    }
    let r = app
        .http
        .post(app.url("/register"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "registration");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let registration = location.split("r=").nth(1).unwrap().to_owned();
    let code = latest_code(app, phone).await;
    let r = app
        .http
        .post(app.url("/register/confirm"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("registration", registration.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "confirmation");
}

/// Posts the sign-in form with this client (its cookies) and returns the answer.
pub async fn sign_in(
    app: &TestApp,
    http: &reqwest::Client,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let page = http.get(app.url("/login")).send().await.unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    http.post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
            ("next", "/cabinet"),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs in with a password and, when asked, the TOTP code of `totp_key`
/// (base32). Each TOTP code is accepted once: one such sign-in per account
/// every 30 seconds.
pub async fn sign_in_with_totp(
    app: &TestApp,
    http: &reqwest::Client,
    login: &str,
    password: &str,
    totp_key: &str,
) {
    let r = sign_in(app, http, login, password).await;
    assert_eq!(r.status(), 303, "the password is right");
    let to = crate::bank::location(&r);
    if to.starts_with("/login/factor") {
        pass_factor(app, http, &to, totp_key).await;
    }
}

/// At the factor step `to` (`/login/factor?next=…`): the TOTP code of
/// `totp_key` now. Returns where the server sends the person next.
pub async fn pass_factor(
    app: &TestApp,
    http: &reqwest::Client,
    to: &str,
    totp_key: &str,
) -> String {
    let page = http
        .get(app.url(to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let key = propusk_core::factor::TotpKey::from_base32(totp_key).unwrap();
    let code = key.code_at(time::OffsetDateTime::now_utc()).unwrap();
    let next = crate::oidc::url_query(&app.url(to), "next").unwrap_or_default();
    let r = http
        .post(app.url("/login/factor"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("code", code.as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the code is accepted");
    crate::bank::location(&r)
}

/// The value of a `Set-Cookie` named `name` in a response, if any.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of the first `<input name="NAME" value="…">` in a page.
pub fn field_value(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no field {name}"))
        + needle.len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}
