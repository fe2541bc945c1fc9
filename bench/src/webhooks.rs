//! `webhooks N [DATABASE_URL]`: webhook dispatch to a loopback receiver.
//! N `consent.revoked` deliveries are queued for one sandbox endpoint in a
//! fresh SQLite database (or the given empty one); the service's delivery
//! round (`Services::deliver_webhooks`: claim a batch under a lease, sign
//! each with HMAC-SHA256, POST it, record the answer) runs on CPU 0 until
//! none is left, and an axum receiver on CPU 1 answers 204 and counts.
//! Prints deliveries per second, and checks that every event arrived
//! exactly once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use propusk_core::audit::Actor;
use propusk_service::Services;
use propusk_store::{Db, DbOptions, webhooks};
use rand_core::OsRng;

pub fn run(args: &[String]) -> Result<(), String> {
    let n: u64 = args
        .first()
        .and_then(|s| s.parse().ok())
        .ok_or("usage: webhooks N [DATABASE_URL]")?;
    let url = args.get(1).cloned();

    // The receiver, on CPU 1.
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let dupes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    {
        let (seen, dupes) = (seen.clone(), dupes.clone());
        std::thread::spawn(move || {
            let _ = crate::pin_current_thread(1);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(rt) = rt else { return };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = axum::Router::new().route(
                    "/hook",
                    axum::routing::post(move |headers: axum::http::HeaderMap, _body: String| {
                        let (seen, dupes) = (seen.clone(), dupes.clone());
                        async move {
                            let id = headers
                                .get("propusk-event-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            if let Ok(mut s) = seen.lock()
                                && !s.insert(id)
                            {
                                dupes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            axum::http::StatusCode::NO_CONTENT
                        }
                    }),
                );
                let _ = axum::serve(listener, app).await;
            });
        });
    }

    crate::pin_current_thread(0)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("propusk-bench-webhooks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = match &url {
            Some(u) => Db::connect(u, &DbOptions::default()).await,
            None => Db::open_data_dir(&dir, &DbOptions::default()).await,
        }
        .map_err(|e| e.to_string())?;
        let backend = db.backend().name();
        db.migrate().await.map_err(|e| e.to_string())?;
        let services = Services::new(
            db.clone(),
            Arc::new(propusk_core::vault::KeyRing::generate(&mut OsRng)),
            Arc::new(
                propusk_core::password::Hasher::new(Default::default(), &mut OsRng)
                    .map_err(|e| e.to_string())?,
            ),
            Arc::new(propusk_core::time::SystemClock),
            "http://bench.test".into(),
        );
        let e = |e: propusk_service::ServiceError| e.to_string();
        services.seed_demo().await.map_err(e)?;
        let org = services.seed_demo_partner().await.map_err(e)?;
        let created = services
            .create_client(&sandbox_client(org), Actor::system())
            .await
            .map_err(e)?;
        let client = services
            .client(&created.client_id)
            .await
            .map_err(e)?
            .ok_or("the client just made")?;
        let (endpoint, _secret) = services
            .create_webhook(&client, &format!("http://{addr}/hook"), &[])
            .await
            .map_err(e)?;

        let t0 = Instant::now();
        let now = time::OffsetDateTime::now_utc();
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        for i in 0..n {
            let event = uuid::Uuid::now_v7();
            let payload = serde_json::json!({
                "id": event, "type": "consent.revoked", "created_at": "2026-12-05T10:00:00Z",
                "data": {"consent_id": uuid::Uuid::now_v7(), "sub": "bench", "status": "revoked",
                         "purpose": "loan_application", "valid_until": "2027-12-01T00:00:00Z"},
            })
            .to_string();
            webhooks::enqueue(&mut tx, endpoint.id, event, "consent.revoked", &payload, now)
                .await
                .map_err(|e| e.to_string())?;
            if i % 1_000 == 999 {
                tx.commit().await.map_err(|e| e.to_string())?;
                tx = db.begin().await.map_err(|e| e.to_string())?;
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("webhooks_setup {n} deliveries queued in {:.1} s ({backend})", t0.elapsed().as_secs_f64());

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let t1 = Instant::now();
        let (mut delivered, mut failed) = (0, 0);
        loop {
            let (d, r, dead) = services.deliver_webhooks(&http).await.map_err(e)?;
            delivered += d;
            failed += r + dead;
            if d + r + dead == 0 {
                break;
            }
        }
        let secs = t1.elapsed().as_secs_f64();
        let received = seen.lock().map(|s| s.len()).unwrap_or(0);
        println!(
            "webhook_dispatch_{backend} {:.0} deliveries/s ({delivered} delivered, {failed} failed, {received} distinct events received, {} duplicates, in {secs:.1} s; dispatcher on CPU 0, receiver on CPU 1; target ≥ 1,000/s)",
            delivered as f64 / secs,
            dupes.load(std::sync::atomic::Ordering::Relaxed),
        );
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        if received as u64 != n {
            return Err(format!("{received} of {n} events arrived"));
        }
        Ok(())
    })
}

fn sandbox_client(org: uuid::Uuid) -> propusk_service::oauth::NewClient {
    propusk_service::oauth::NewClient {
        org_id: org,
        name: "bench".into(),
        profile: propusk_oidc::Profile::Oidc,
        sandbox: true,
        redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
        scopes: vec!["fullname".into()],
        jwks: None,
        jwks_uri: None,
        secret: true,
        ip_allow: vec![],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
    }
}
