//! Runs one body of code against whichever driver a `Db` or `Tx` holds. The body is
//! compiled once per driver, which is what lets one query text serve both.

/// `on_db!(db, pool => expr)`: `pool` is a `&SqlitePool` or a `&PgPool`.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// `on_tx!(tx, conn => expr)`: `conn` is a `&mut SqliteConnection` or `&mut PgConnection`.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t, _) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
