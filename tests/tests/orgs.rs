//! Organizations end to end on both databases: only the head per ЕГРЮЛ
//! registers the company; employees are invited by phone or SNILS, accept,
//! and act for it by switching context; each role gets exactly the actions
//! the role table promises and 403 on every other (one table over roles ×
//! actions); a removed employee loses access at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_e2e::pages::{PASSWORD, csrf_of, register_as, sign_in};
use propusk_e2e::{TestApp, both_backends, client};

const DEMO_PASSWORD: &str = "Propusk-Demo-2026";
const OGRN: &str = "1207700012343";

/// Someone with their own cookie jar.
struct Person {
    http: reqwest::Client,
}

impl Person {
    async fn sign_in(app: &TestApp, login: &str, password: &str) -> Person {
        let http = client();
        let r = sign_in(app, &http, login, password).await;
        assert_eq!(r.status(), 303, "{login} signs in");
        Person { http }
    }

    async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.http.get(app.url(path)).send().await.unwrap()
    }

    async fn html(&self, app: &TestApp, path: &str) -> String {
        self.get(app, path).await.text().await.unwrap()
    }

    async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let csrf = csrf_of(&self.html(app, "/cabinet/orgs").await);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(form);
        self.http
            .post(app.url(path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }
}

/// Sets every account not yet confirmed to confirmed (as a bank would).
async fn confirm_everyone(url: &str) {
    const SQL: &str = "UPDATE accounts SET trust_level = 'confirmed' WHERE trust_level IN ('simplified', 'standard')";
    if url.starts_with("sqlite") {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(SQL).execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(SQL).execute(&pool).await.unwrap();
    }
}

fn first_value_of(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + needle.len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// The account id in the members table row that holds `name`.
fn account_in_row(html: &str, name: &str) -> String {
    let row = html
        .split("<tr>")
        .find(|r| r.contains(name))
        .unwrap_or_else(|| panic!("no row for {name}"));
    first_value_of(row, "account")
}

both_backends! {
    async fn heads_register_employees_get_their_roles_and_nothing_more(tdb: TestDb) {
        let url = tdb.url.clone();
        let app = TestApp::spawn_with(tdb, |s| s.demo = true).await;

        // A simplified account may not register anything.
        let sokolov = Person::sign_in(&app, "+79000000001", DEMO_PASSWORD).await;
        let r = sokolov.post(&app, "/cabinet/orgs/register", &[("ogrn", OGRN)]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("только подтверждённая учётная запись руководителя"));

        // Employees-to-be register; then everyone is confirmed.
        let roles = ["administrator", "operator", "analyst", "accountant"];
        let phones = ["+79167810001", "+79167810002", "+79167810004", "+79167810005"];
        let names = ["Админова", "Операторова", "Бухгалтерова", "Отказова"];
        for (p, n) in phones.iter().zip(names) {
            register_as(&app, p, n).await;
        }
        confirm_everyone(&url).await;

        // Волкова is confirmed but heads nothing per ЕГРЮЛ.
        let volkova = Person::sign_in(&app, "+79000000002", DEMO_PASSWORD).await;
        let r = volkova.post(&app, "/cabinet/orgs/register", &[("ogrn", OGRN)]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("руководитель этой организации — другой человек"), "{html}");
        assert!(html.contains(&format!("value=\"{OGRN}\"")), "the typed OGRN is kept");

        // Морозов heads ООО «Пропуск Демо».
        let morozov = Person::sign_in(&app, "morozov@demo.propusk.test", DEMO_PASSWORD).await;
        let r = morozov.post(&app, "/cabinet/orgs/register", &[("ogrn", "1207700012344")]).await;
        assert_eq!(r.status(), 422, "a wrong check digit");
        let r = morozov.post(&app, "/cabinet/orgs/register", &[("ogrn", OGRN)]).await;
        assert_eq!(r.headers()["location"], "/org");
        let overview = morozov.html(&app, "/org").await;
        assert!(overview.contains("Пропуск Демо") && overview.contains("администратор"), "{overview}");
        let requisites = morozov.html(&app, "/org/requisites").await;
        assert!(requisites.contains("Морозов Алексей Викторович") && requisites.contains(OGRN), "filled from ЕГРЮЛ");
        let r = morozov.post(&app, "/cabinet/orgs/register", &[("ogrn", OGRN)]).await;
        assert!(r.text().await.unwrap().contains("уже зарегистрирована"));

        // Invitations: four by phone (one to be declined), the analyst by SNILS.
        for (role, phone) in [("administrator", phones[0]), ("operator", phones[1]), ("operator", phones[2]), ("operator", phones[3])] {
            let r = morozov.post(&app, "/org/members/invite", &[("channel", "phone"), ("value", phone), ("role", role)]).await;
            assert_eq!(r.status(), 303, "invite {phone}");
        }
        let r = morozov.post(&app, "/org/members/invite", &[("channel", "snils"), ("value", "145-678-932 12"), ("role", "analyst")]).await;
        assert_eq!(r.status(), 303);
        let r = morozov.post(&app, "/org/members/invite", &[("channel", "phone"), ("value", phones[1]), ("role", "analyst")]).await;
        assert_eq!(r.status(), 422, "already invited");
        let r = morozov.post(&app, "/org/members/invite", &[("channel", "snils"), ("value", "145-678-932 13"), ("role", "analyst")]).await;
        assert_eq!(r.status(), 422, "a wrong SNILS");
        let outbox = app.get("/dev/outbox.json").await.text().await.unwrap();
        assert!(outbox.contains("приглашает вас в сотрудники"), "the SMS went out");

        let mut employees = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            let p = Person::sign_in(&app, phone, PASSWORD).await;
            let page = p.html(&app, "/cabinet/orgs").await;
            assert!(page.contains("Пропуск Демо"), "{phone} sees the invitation");
            let id = first_value_of(&page, "invitation");
            let answer = if i == 3 { "decline" } else { "accept" };
            let r = p.post(&app, "/cabinet/orgs/invitations/answer", &[("invitation", &id), ("answer", answer)]).await;
            assert_eq!(r.status(), 303);
            employees.push(p);
        }
        let page = volkova.html(&app, "/cabinet/orgs").await;
        let id = first_value_of(&page, "invitation");
        let r = volkova.post(&app, "/cabinet/orgs/invitations/answer", &[("invitation", &id), ("answer", "accept")]).await;
        assert_eq!(r.status(), 303);

        // The head makes the fourth employee an accountant.
        let members = morozov.html(&app, "/org/members").await;
        assert!(members.contains("отклонено"), "the declined invitation is listed");
        let accountant = account_in_row(&members, "Бухгалтерова");
        let r = morozov.post(&app, "/org/members/role", &[("account", &accountant), ("role", "accountant")]).await;
        assert_eq!(r.status(), 303);

        // Each acts for the organization.
        let mut org_id = String::new();
        let by_role = [(roles[0], &employees[0]), (roles[1], &employees[1]), (roles[2], &volkova), (roles[3], &employees[2])];
        for (_, p) in by_role {
            let page = p.html(&app, "/cabinet/orgs").await;
            org_id = first_value_of(&page, "org");
            let r = p.post(&app, "/cabinet/orgs/switch", &[("org", &org_id)]).await;
            assert_eq!(r.headers()["location"], "/org");
        }

        // Roles × actions. 404 is "allowed, but there is no such thing".
        let nobody = "0190a0a0-0000-7000-8000-000000000000";
        type Check = (&'static str, &'static str, Vec<(&'static str, String)>, [u16; 4]);
        let checks: Vec<Check> = vec![
            ("GET", "/org", vec![], [200, 200, 200, 200]),
            ("GET", "/org/requisites", vec![], [200, 403, 200, 200]),
            ("GET", "/org/members", vec![], [200, 403, 200, 403]),
            ("POST", "/org/requisites/refresh", vec![], [303, 403, 403, 403]),
            ("POST", "/org/members/invite", vec![("channel", "phone".into()), ("value", "+79167819999".into()), ("role", "operator".into())], [303, 403, 403, 403]),
            ("POST", "/org/members/role", vec![("account", nobody.into()), ("role", "operator".into())], [404, 403, 403, 403]),
            ("POST", "/org/members/remove", vec![("account", nobody.into())], [404, 403, 403, 403]),
            ("POST", "/org/invitations/revoke", vec![("invitation", nobody.into())], [404, 403, 403, 403]),
            ("GET", "/org/clients", vec![], [200, 403, 403, 403]),
            (
                "POST",
                "/org/clients/create",
                vec![("name", "Мобильный банк".into()), ("redirect_uri", "https://bank.example/cb".into()), ("profile", "oidc".into()), ("scope_fullname", "on".into())],
                [200, 403, 403, 403],
            ),
            (
                "POST",
                "/org/clients/create",
                vec![("name", "Без ключей".into()), ("redirect_uri", "https://bank.example/cb".into()), ("profile", "fapi2".into())],
                [422, 403, 403, 403],
            ),
            ("GET", "/org/partner", vec![], [200, 403, 403, 403]),
            ("POST", "/org/partner/apply", vec![("client_name", "Банк".into())], [422, 403, 403, 403]),
            // Another organization's client is no different from none.
            ("GET", "/org/clients/demo-bank", vec![], [404, 403, 403, 403]),
            ("POST", "/org/clients/demo-bank", vec![("redirect_uris", "https://bank.example/cb".into())], [404, 403, 403, 403]),
            ("POST", "/org/clients/demo-bank/disable", vec![], [404, 403, 403, 403]),
        ];
        for (method, path, form, expected) in &checks {
            for (i, (role, p)) in by_role.iter().enumerate() {
                let r = if *method == "GET" {
                    p.get(&app, path).await
                } else {
                    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    p.post(&app, path, &form).await
                };
                assert_eq!(r.status().as_u16(), expected[i], "{role} {method} {path}");
                if expected[i] == 403 {
                    assert!(r.text().await.unwrap().contains("Доступ запрещён"), "{role} {path}: a page that says why");
                }
            }
        }
        // The administrator's client list holds the oidc sandbox client.
        let clients = by_role[0].1.html(&app, "/org/clients").await;
        assert!(clients.contains("Мобильный банк") && clients.contains("oidc · sandbox"), "{clients}");
        assert!(!clients.contains("Без ключей"), "a refused client is not registered");
        // The menu shows a role only what it may open.
        let nav = employees[1].html(&app, "/org").await;
        assert!(!nav.contains("href=\"/org/members\"") && !nav.contains("href=\"/org/requisites\""), "operator's menu");
        let members = volkova.html(&app, "/org/members").await;
        assert!(!members.contains("action=\"/org/members/invite\""), "an analyst sees, but gets no forms");

        // Someone outside cannot switch to it, and /org sends them to choose.
        let r = sokolov.post(&app, "/cabinet/orgs/switch", &[("org", &org_id)]).await;
        assert_eq!(r.status(), 403);
        assert_eq!(sokolov.get(&app, "/org").await.headers()["location"], "/cabinet/orgs");

        // The head stays; a removed operator loses access at once.
        let members = morozov.html(&app, "/org/members").await;
        let head = members.split("<tr>").find(|r| r.contains("Морозов")).unwrap().to_owned();
        assert!(!head.contains("/org/members/remove"), "no remove button for the head");
        let operator = account_in_row(&members, "Операторова");
        let r = morozov.post(&app, "/org/members/remove", &[("account", &operator)]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(employees[1].get(&app, "/org").await.headers()["location"], "/cabinet/orgs", "context gone with the membership");
        let r = employees[1].post(&app, "/cabinet/orgs/switch", &[("org", &org_id)]).await;
        assert_eq!(r.status(), 403);

        // Back to the personal cabinet.
        let r = employees[0].post(&app, "/cabinet/orgs/switch", &[("org", "")]).await;
        assert_eq!(r.headers()["location"], "/cabinet");
        assert_eq!(employees[0].get(&app, "/org").await.headers()["location"], "/cabinet/orgs");
        let en = morozov.html(&app, "/org/members?lang=en").await;
        assert!(en.contains("Employees") && en.contains("administrator"), "{en}");
        app.shutdown().await;
    }
}
