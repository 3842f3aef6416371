//! Prepared-statement reuse for writes: [`Cached`], and the `.cached()`
//! method that wraps a diesel query in it.
//!
//! Diesel prepares a statement once per connection and reuses it only when
//! it can prove the SQL text is the same every time. For UPDATEs, for
//! INSERTs of `Insertable` values (a `None` may become `DEFAULT`), for
//! upserts and for `sql_query` it cannot, so it prepares them again on every
//! execution: on PostgreSQL that is a Parse round trip, a fresh plan and a
//! Close for each write, about as much work as the write itself.
//!
//! [`Cached`] tells diesel's statement cache to key such a statement by
//! its SQL text and bind types instead of its Rust type. That is always
//! correct: two executions share a prepared statement only if they would
//! have sent the same SQL with the same parameter types. Variants of one
//! query (a changeset that skips a field, a batch insert of another size)
//! are separate entries, so wrap only queries with few textual variants.

use diesel::{
    backend::Backend,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    result::QueryResult,
};

/// A query whose prepared statement is reused per connection, keyed by its
/// SQL text; see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// `.cached()` on any diesel query.
pub trait CacheStatement: Sized {
    /// This query, its prepared statement reused (keyed by SQL text).
    fn cached(self) -> Cached<Self> {
        Cached(self)
    }
}

impl<Q> CacheStatement for Q {}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        // Safe because the query id below is not static: the cache then
        // keys the statement by the SQL text diesel built for this very
        // execution (and its bind types), never by the Rust type alone.
        Ok(true)
    }
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

#[cfg(test)]
mod tests {
    use diesel::{prelude::*, sql_types::BigInt};
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    use super::CacheStatement;

    diesel::table! {
        counters (id) {
            id -> BigInt,
            hits -> BigInt,
        }
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    async fn prepared_updates(conn: &mut crate::db::PgConn) -> i64 {
        diesel::sql_query(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'UPDATE%'",
        )
        .get_result::<Count>(conn)
        .await
        .expect("read pg_prepared_statements")
        .n
    }

    /// On PostgreSQL (TEST_DATABASE_URL), a cached UPDATE run three times
    /// is prepared once and stays prepared; an uncached one is prepared and
    /// dropped each time.
    #[tokio::test]
    async fn a_cached_write_is_prepared_once_per_connection() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("TEST_DATABASE_URL is not set: PostgreSQL statement cache not tested");
            return;
        };
        let mut conn = crate::db::PgConn::establish(&url).await.expect("connect");
        conn.batch_execute("CREATE TEMPORARY TABLE counters (id BIGINT PRIMARY KEY, hits BIGINT NOT NULL); INSERT INTO counters VALUES (1, 0)")
            .await
            .expect("create a table");

        for _ in 0..3 {
            diesel::update(counters::table.find(1_i64))
                .set(counters::hits.eq(counters::hits + 1))
                .execute(&mut conn)
                .await
                .expect("uncached update");
        }
        assert_eq!(prepared_updates(&mut conn).await, 0);

        for _ in 0..3 {
            diesel::update(counters::table.find(1_i64))
                .set(counters::hits.eq(counters::hits + 1))
                .cached()
                .execute(&mut conn)
                .await
                .expect("cached update");
        }
        assert_eq!(prepared_updates(&mut conn).await, 1);
        let hits: i64 = counters::table
            .select(counters::hits)
            .find(1_i64)
            .cached()
            .get_result(&mut conn)
            .await
            .expect("read back through a cached select");
        assert_eq!(hits, 6, "every execution ran, cached or not");
    }

    /// Two textual variants of one query are two statements, never one
    /// statement run with the other's SQL.
    #[tokio::test]
    async fn variants_of_a_query_do_not_share_a_statement() {
        let mut conn = crate::db::SqliteConn::establish(":memory:")
            .await
            .expect("open SQLite");
        conn.batch_execute("CREATE TABLE counters (id BIGINT PRIMARY KEY, hits BIGINT NOT NULL); INSERT INTO counters VALUES (1, 0), (2, 0)")
            .await
            .expect("create a table");
        for only_first in [true, false, true, false] {
            let mut update = diesel::update(counters::table)
                .set(counters::hits.eq(counters::hits + 1))
                .into_boxed();
            if only_first {
                update = update.filter(counters::id.eq(1_i64));
            }
            update.cached().execute(&mut conn).await.expect("update");
        }
        let hits: Vec<i64> = counters::table
            .order(counters::id)
            .select(counters::hits)
            .load(&mut conn)
            .await
            .expect("read");
        assert_eq!(hits, vec![4, 2]);
    }
}
