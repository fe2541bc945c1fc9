//! The HTTP shell end to end: probes, metrics, headers, errors in both formats
//! and both languages, the validate API, OpenAPI, limits and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::Duration;

use propusk_e2e::{TestApp, both_backends};
use propusk_testkit::{Backend, PgCluster, TestDb};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_backends! {
    async fn probes_answer(db: TestDb) {
        let app = TestApp::spawn_with(db, |_| {}).await;
        let r = app.get("/healthz").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok");
        let r = app.get("/readyz").await;
        assert_eq!(r.status(), 200);
        app.shutdown().await;
    }

    async fn metrics_count_requests_by_route_and_status(db: TestDb) {
        let app = TestApp::spawn_with(db, |_| {}).await;
        app.get("/healthz").await;
        app.get("/no/such/page").await;
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#), "{text}");
        assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
        assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
        assert!(text.contains("db_pool_connections"), "{text}");
        app.shutdown().await;
    }
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/", "/healthz", "/nope", "/api/v1/openapi.json"] {
        let r = app.get(path).await;
        let h = r.headers();
        let id = h.get("x-request-id").unwrap().to_str().unwrap();
        assert!(id.len() >= 32, "{path}: {id}");
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert!(h.get("referrer-policy").is_some());
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
    // A sane id from a proxy is kept; an odd one is replaced.
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc.123");
    let r = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id {}")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id {}");
    app.shutdown().await;
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn_with(db, |s| {
        s.public_url = Some("https://propusk.example".parse().unwrap())
    })
    .await;
    let r = app.get("/").await;
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn home_page_speaks_russian_by_default_and_english_on_request() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ru = app.get("/").await.text().await.unwrap();
    assert!(ru.contains("<html lang=\"ru\">"));
    assert!(ru.contains("Пропуск — ваш доступ"));
    let r = app.get("/?lang=en").await;
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("lang=en")
    );
    let en = r.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("your pass to state"));
    // The cookie now carries the choice.
    let again = app.get("/").await.text().await.unwrap();
    assert!(again.contains("<html lang=\"en\">"));
    // Accept-Language is honoured when there is no cookie.
    let fresh = propusk_e2e::client();
    let r = fresh
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("<html lang=\"en\">"));
    app.shutdown().await;
}

#[tokio::test]
async fn not_found_is_a_page_for_people_and_a_problem_for_the_api() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("Страница не найдена") && body.contains("Код запроса"));

    let r = propusk_e2e::client()
        .get(app.url("/no/such/page?lang=en"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Page not found"));

    let r = app.get("/api/v1/nothing").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "/problems/not-found");
    assert_eq!(p["status"], 404);
    assert_eq!(p["instance"], "/api/v1/nothing");
    assert!(p["request_id"].as_str().is_some());
    app.shutdown().await;
}

#[tokio::test]
async fn method_not_allowed_is_dressed_too() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app
        .http
        .delete(app.url("/api/v1/validate"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().get("allow").is_some());
    app.shutdown().await;
}

#[tokio::test]
async fn validate_api_matches_the_cli_contract() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app
        .post_json(
            "/api/v1/validate",
            &json!({"kind": "inn", "value": " 7707083893 "}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["normalized"], "7707083893");
    assert_eq!(v["error"], Value::Null);

    let v: Value = app
        .post_json(
            "/api/v1/validate",
            &json!({"kind": "inn", "value": "7707083894"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("ИНН"), "{v}");
    assert_eq!(v["code"], "checksum");

    let v: Value = app
        .http
        .post(app.url("/api/v1/validate"))
        .header("accept-language", "en")
        .json(&json!({"kind": "snils", "value": "112-233-445 96"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"].as_str().unwrap().contains("SNILS"), "{v}");
    app.shutdown().await;
}

#[tokio::test]
async fn validate_api_rejects_bad_requests_with_problems() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app
        .post_json(
            "/api/v1/validate",
            &json!({"kind": "passport_of_mars", "value": "1"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "/problems/validation");
    assert_eq!(p["errors"][0]["pointer"], "/kind");
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("snils"));

    let r = app
        .post_json(
            "/api/v1/validate",
            &json!({"kind": "bank_account", "value": "40702810938000000001"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["pointer"], "/bik");

    let r = app
        .http
        .post(app.url("/api/v1/validate"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let r = app
        .http
        .post(app.url("/api/v1/validate"))
        .body("kind=inn")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let r = app
        .post_json("/api/v1/validate", &json!({"kind": "inn"}))
        .await;
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("value"), "{p}");
    app.shutdown().await;
}

#[tokio::test]
async fn oversize_bodies_get_413() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn_with(db, |s| s.max_body_bytes = 1024).await;
    let big = json!({"kind": "inn", "value": "1".repeat(4096)});
    let r = app.post_json("/api/v1/validate", &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    app.shutdown().await;
}

#[tokio::test]
async fn openapi_document_and_docs_page_are_served_locally() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/validate"]["post"].is_object());
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "docs page must not load from elsewhere"
    );
    let js = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn assets_are_embedded_with_long_cache_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let html = app.get("/").await.text().await.unwrap();
    let css = html
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|u| u.ends_with(".css")))
        .unwrap()
        .to_owned();
    assert!(css.starts_with("/assets/app-"));
    let r = app.get(&css).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = r.headers()["etag"].clone();
    let r = app
        .http
        .get(app.url(&css))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(app.get("/assets/app-000000000000.css").await.status(), 404);
    app.shutdown().await;
}

#[tokio::test]
async fn readyz_turns_red_when_postgres_stops_and_recovers_without_restart() {
    let cluster = PgCluster::start().await;
    let url = cluster.create_database().await;
    let app = TestApp::spawn_url(url, |_| {}).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    cluster.stop().await;
    let started = std::time::Instant::now();
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "503 must come fast, took {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "liveness does not depend on the database"
    );
    cluster.start_again().await;
    let mut ok = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "ready again after PostgreSQL came back");
    app.shutdown().await;
}

/// A request still being received when shutdown starts is answered in full.
#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let body = r#"{"kind":"inn","value":"7707083893"}"#;
    let mut stream = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    let head = format!(
        "POST /api/v1/validate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = app.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "server waits for the in-flight request"
    );
    // New connections are no longer accepted.
    assert!(
        tokio::net::TcpStream::connect(app.addr()).await.is_err()
            || reqwest::get(app.url("/healthz")).await.is_err()
    );
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"valid\":true"));
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A request that takes longer than the configured timeout gets 408 as a
/// problem document, and the server carries on.
#[tokio::test]
async fn slow_requests_time_out_with_408() {
    let db = TestDb::sqlite().await;
    let app = TestApp::spawn_with(db, |s| s.request_timeout = Duration::from_millis(500)).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    let head = "POST /api/v1/validate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.contains("application/problem+json") && response.contains("/problems/timeout"),
        "{response}"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.shutdown().await;
}

/// The key ring is created once (owner-only), reused, and a node with a
/// different key file refuses to start on the same database.
#[tokio::test]
async fn key_ring_is_created_reused_and_checked() {
    let db = TestDb::sqlite().await;
    let url = db.url.clone();
    let app = TestApp::spawn_with(db, |_| {}).await;
    let key_file = app.data_dir.join("keyring");
    let text = std::fs::read_to_string(&key_file).unwrap();
    assert!(text.contains("current = 1") && text.contains("index = "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let same_keys = key_file.clone();
    let again = TestApp::spawn_url(url.clone(), move |s| s.key_file = Some(same_keys)).await;
    again.shutdown().await;

    let other = propusk_e2e::TempDir::new();
    let settings = propusk_web::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(url),
        data_dir: other.0.clone(),
        ..propusk_web::Settings::default()
    };
    let err = propusk_web::start(settings, std::future::pending())
        .await
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(msg.contains("does not match this database"), "{msg}");
    assert!(
        !msg.contains(&text[text.len() - 20..]),
        "no key material in the message"
    );
    app.shutdown().await;
}

both_backends! {
    /// The JWKS holds the provider's public keys (made at start), no private
    /// parts, cacheable, and sets no cookies.
    async fn jwks_publishes_the_public_signing_keys(db: TestDb) {
        let app = TestApp::spawn_with(db, |_| {}).await;
        let r = app.get("/jwks").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/jwk-set+json");
        assert_eq!(r.headers()["cache-control"], "public, max-age=300");
        assert!(r.headers().get("set-cookie").is_none());
        let doc: serde_json::Value = r.json().await.unwrap();
        let keys = doc["keys"].as_array().unwrap();
        let algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
        assert_eq!(algs.len(), 4);
        for alg in ["ES256", "EdDSA", "PS256", "RS256"] {
            assert!(algs.contains(&alg), "{algs:?}");
        }
        for k in keys {
            assert_eq!(k["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(k.get(private).is_none(), "{private}");
            }
        }
        app.shutdown().await;
    }
}
