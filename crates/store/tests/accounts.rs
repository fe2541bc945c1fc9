//! Accounts and contacts on both databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use propusk_core::account::{AccountKind, AccountStatus, ContactChannel, TrustLevel};
use propusk_store::accounts::{self, AccountRow, ContactRow};
use propusk_store::{Db, DbOptions, StoreError};
use propusk_testkit::{TestDb, both_backends};
use time::OffsetDateTime;
use uuid::Uuid;

async fn open(tdb: &TestDb) -> Db {
    let db = Db::connect(&tdb.url, &DbOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    db
}

fn now() -> OffsetDateTime {
    propusk_core::time::truncate_micros(OffsetDateTime::now_utc())
}

fn new_account() -> AccountRow {
    let t = now();
    AccountRow {
        id: Uuid::now_v7(),
        kind: AccountKind::Person,
        status: AccountStatus::AwaitingConfirmation,
        trust_level: None,
        profile: vec![1, 2, 3, 0, 255],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        pd_consent_version: "2026-11".into(),
        pd_consent_at: t,
        created_at: t,
        updated_at: t,
    }
}

fn new_contact(account_id: Uuid, index: &str) -> ContactRow {
    ContactRow {
        id: Uuid::now_v7(),
        account_id,
        channel: ContactChannel::Phone,
        value_index: index.into(),
        value: vec![9, 9, 9],
        created_at: now(),
        confirmed_at: None,
        removed_at: None,
    }
}

async fn create(db: &Db, index: &str) -> (AccountRow, ContactRow) {
    let a = new_account();
    let c = new_contact(a.id, index);
    let mut tx = db.begin().await.unwrap();
    accounts::insert(&mut tx, &a).await.unwrap();
    accounts::insert_contact(&mut tx, &c).await.unwrap();
    tx.commit().await.unwrap();
    (a, c)
}

both_backends! {
    async fn an_account_reads_back_exactly(tdb: TestDb) {
        let db = open(&tdb).await;
        let (a, c) = create(&db, "idx-1").await;
        assert_eq!(accounts::get(&db, a.id).await.unwrap(), a);
        assert_eq!(accounts::contacts_of(&db, a.id).await.unwrap(), vec![c]);
        assert!(matches!(accounts::get(&db, Uuid::now_v7()).await, Err(StoreError::NotFound)));
    }

    async fn confirming_activates_and_finds_the_owner(tdb: TestDb) {
        let db = open(&tdb).await;
        let (a, c) = create(&db, "idx-2").await;
        assert_eq!(accounts::find_confirmed_contact(&db, ContactChannel::Phone, "idx-2").await.unwrap(), None);
        let t = now();
        let mut tx = db.begin().await.unwrap();
        accounts::confirm_contact(&mut tx, c.id, t).await.unwrap();
        accounts::set_status(&mut tx, a.id, AccountStatus::Active, Some(TrustLevel::Simplified), t).await.unwrap();
        tx.commit().await.unwrap();
        let found = accounts::find_confirmed_contact(&db, ContactChannel::Phone, "idx-2").await.unwrap().unwrap();
        assert_eq!((found.account_id, found.confirmed_at), (a.id, Some(t)));
        let back = accounts::get(&db, a.id).await.unwrap();
        assert_eq!((back.status, back.trust_level), (AccountStatus::Active, Some(TrustLevel::Simplified)));
        // The sign-in look-up finds the same account by the confirmed phone only.
        let signin = accounts::for_sign_in(&db, accounts::LoginIndex::Phone("idx-2"), "").await.unwrap().unwrap();
        assert_eq!((signin.account, signin.has_totp), (back, false));
        assert_eq!(accounts::for_sign_in(&db, accounts::LoginIndex::Email("idx-2"), "").await.unwrap(), None);
        // A second confirmation of the same row is refused.
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(accounts::confirm_contact(&mut tx, c.id, t).await, Err(StoreError::NotFound)));
    }

    async fn a_contact_confirms_into_one_account_only(tdb: TestDb) {
        let db = open(&tdb).await;
        let (_, first) = create(&db, "same").await;
        let (_, second) = create(&db, "same").await;
        let mut tx = db.begin().await.unwrap();
        accounts::confirm_contact(&mut tx, first.id, now()).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let err = accounts::confirm_contact(&mut tx, second.id, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    }

    async fn password_hash_can_be_replaced(tdb: TestDb) {
        let db = open(&tdb).await;
        let (a, _) = create(&db, "idx-3").await;
        let mut tx = db.begin().await.unwrap();
        accounts::set_password_hash(&mut tx, a.id, "$argon2id$new", now()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(accounts::get(&db, a.id).await.unwrap().password_hash, "$argon2id$new");
    }
}
