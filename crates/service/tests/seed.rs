//! Data at scale (`propusk demo seed`) on both databases, small: the rows
//! are the service's own, so a seeded citizen signs in, a seeded consent
//! is read through the data API with its check, its receipt verifies, and
//! the access log and counters agree; a second seed is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::sync::Mutex;

use propusk_core::consent::Status;
use propusk_service::ServiceError;
use propusk_service::consents::read::Ask;
use propusk_service::seed::{Scale, Stage};
use propusk_store::consents;
use propusk_testkit::both_backends;

const SCALE: Scale = Scale {
    citizens: 1_200,
    consents: 1_500,
    reads: 4_000,
    seed: 3,
};

both_backends! {
    async fn a_seeded_database_is_one_the_service_reads_as_its_own(tdb: TestDb) {
        let (s, _) = common::services(&tdb).await;
        let seen = Mutex::new(Vec::new());
        let progress = |stage: Stage, done: u64| seen.lock().unwrap().push((stage, done));
        let seeded = s.seed_scale(SCALE, &progress).await.unwrap();
        assert_eq!((seeded.citizens, seeded.consents, seeded.reads), (1_200, 1_500, 4_000));
        assert!(seeded.database_bytes > 0);
        let seen = seen.into_inner().unwrap();
        for (stage, total) in [(Stage::Citizens, 1_200), (Stage::Consents, 1_500), (Stage::Reads, 4_000)] {
            let done: Vec<u64> = seen.iter().filter(|(s, _)| *s == stage).map(|(_, d)| *d).collect();
            assert!(done.windows(2).all(|w| w[0] < w[1]) && done.last() == Some(&total), "{stage:?}: {done:?}");
        }

        // A seeded citizen signs in with the demo password.
        let signed = s
            .sign_in(&seeded.first_phone, propusk_service::demo::DEMO_PASSWORD, &common::client("192.0.2.80"))
            .await
            .unwrap();
        let mine = s.consents_of_citizen(signed.account_id, None).await.unwrap();
        assert_eq!(mine.len(), 2, "consents 0 and 1,200 are the first citizen's");
        let c = &mine[0];
        assert_eq!(c.status, Status::Active);
        let row = consents::get(&s.db, c.id).await.unwrap().unwrap();
        let reads = consents::reads_of(&s.db, c.id, 100).await.unwrap();
        assert_eq!(row.read_count, reads.len() as i64, "the counter agrees with the log");
        assert_eq!(row.last_read_at, reads.iter().map(|r| r.at).max());

        // Its receipt verifies against the published keys.
        match s.verify_receipt(row.receipt.as_deref().unwrap()).await.unwrap() {
            propusk_service::consents::receipt::Verdict::Valid { status, .. } => assert_eq!(status, Some(Status::Active)),
            other => panic!("{other:?}"),
        }

        // The bench client reads it through the consent check.
        let client = s.client(&seeded.client_id).await.unwrap().unwrap();
        let ask = Ask { consent_id: c.id, categories: None, purpose: None, endpoint: "/api/v1/person".into() };
        let data = s.read_person(&client, &ask).await.unwrap();
        let profile = s.profile(signed.account_id).await.unwrap();
        assert_eq!(data["categories"]["snils"]["data"]["snils"], profile.snils.unwrap().as_str());
        assert_eq!(consents::reads_of(&s.db, c.id, 100).await.unwrap().len(), reads.len() + 1);

        // Seeding again would clash.
        match s.seed_scale(SCALE, &|_, _| {}).await {
            Err(ServiceError::Invalid(p)) => assert_eq!(p[0].code, "seeded"),
            other => panic!("{other:?}"),
        }
    }
}
