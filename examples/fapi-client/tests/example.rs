//! The example client against the real server: client_credentials, and the
//! whole code flow with a person approving in between.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use propusk_e2e::TestApp;
use propusk_example_client::{Client, keygen, load_key};

#[tokio::test]
async fn the_example_client_does_what_its_readme_says() {
    let app = TestApp::spawn_with(propusk_testkit::TestDb::sqlite().await, |s| s.demo = true).await;
    let (pk8, jwks) = keygen().unwrap();
    let redirect = "http://127.0.0.1:9/callback";
    let created = propusk_e2e::oidc::create_client(
        &app,
        propusk_e2e::oidc::new_client(
            propusk_oidc::Profile::Fapi2,
            redirect,
            &["fullname"],
            Some(jwks),
        ),
    )
    .await;
    let client = Client::new(&app.base, &created.client_id, load_key(&pk8).unwrap()).unwrap();
    let tokens = client.client_credentials("fullname").await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");

    let started = client.start(redirect, "openid fullname").await.unwrap();
    let browser = propusk_e2e::client();
    let back = propusk_e2e::oidc::authorize_as(
        &app,
        &browser,
        &started.authorize_url,
        "+79000000002",
        "Propusk-Demo-2026",
        false,
    )
    .await;
    let tokens = client.finish(&started, redirect, &back).await.unwrap();
    let info = client
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(info["family_name"], "Волкова");
    app.shutdown().await;
}
