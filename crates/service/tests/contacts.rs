//! Replacing the phone from the cabinet: the new one is confirmed first, the
//! old one is removed and told; a number of another account reveals nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::{PASSWORD, client, last_code, registered, services};
use propusk_core::Lang;
use propusk_core::account::ContactChannel;
use propusk_service::ServiceError;
use propusk_store::accounts;
use propusk_testkit::both_backends;

both_backends! {
    async fn a_new_phone_replaces_the_old_after_its_code(tdb: TestDb) {
        let (s, _) = services(&tdb).await;
        let id = registered(&s, "+79165550601").await;
        registered(&s, "+79165550602").await;
        let a = s.sign_in("+79165550601", PASSWORD, &client("192.0.2.60")).await.unwrap();
        let cur = s.session(&a.session.token).await.unwrap().unwrap();
        assert!(matches!(s.add_contact(&cur, ContactChannel::Phone, "not a phone", Lang::Ru).await, Err(ServiceError::Invalid(_))));
        assert!(matches!(s.add_contact(&cur, ContactChannel::Phone, "+79165550601", Lang::Ru).await, Err(ServiceError::Invalid(_))));
        // Another account's number: a decoy id, and its owner is told.
        let decoy = s.add_contact(&cur, ContactChannel::Phone, "+79165550602", Lang::Ru).await.unwrap();
        assert!(matches!(s.confirm_new_phone(&cur, decoy, "123456", Lang::Ru).await, Err(ServiceError::WrongCode { .. })));

        let new = s.add_contact(&cur, ContactChannel::Phone, "+79165550603", Lang::Ru).await.unwrap();
        let code = last_code(&s, "+79165550603").await;
        s.confirm_new_phone(&cur, new, &code, Lang::Ru).await.unwrap();
        let phones: Vec<_> = accounts::contacts_of(&s.db, id).await.unwrap().into_iter()
            .filter(|c| c.channel == ContactChannel::Phone && c.removed_at.is_none()).collect();
        assert_eq!(phones.len(), 1);
        assert_eq!(phones[0].id, new);
        // The old number no longer signs in; the new one does; the old one was told.
        assert!(matches!(s.sign_in("+79165550601", PASSWORD, &client("192.0.2.60")).await, Err(ServiceError::BadCredentials)));
        s.sign_in("+79165550603", PASSWORD, &client("192.0.2.60")).await.unwrap();
        let told = propusk_service::notify::recent(&s.db, &s.vault, 50).await.unwrap()
            .into_iter().any(|m| m.to == "+79165550601" && m.content.body.contains("больше не привязан"));
        assert!(told, "the old number is told");
    }
}
