//! One database type over two backends, chosen by URL scheme:
//! SQLite (`sqlite://PATH`, the embedded default: WAL, busy timeout, foreign
//! keys, bundled library) and PostgreSQL (`postgres://...`, pooled).
//!
//! Services write their diesel queries once, inside [`on_db!`], which
//! type-checks and runs the same DSL against whichever backend is live.
//! Migrations run at start. A service whose SQL suits both backends keeps
//! one folder of them; one whose DDL differs keeps one per backend. Either
//! way it embeds them with [`migrations!`](crate::migrations).

use std::time::Duration;

use diesel::migration::MigrationSource;
use diesel::{Connection, SqliteConnection};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{
        AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod, deadpool::Pool,
    },
    sync_connection_wrapper::SyncConnectionWrapper,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
// For `migrations!`: the code diesel's `embed_migrations!` writes names
// `diesel_migrations::...`, which the services then need not depend on.
#[doc(hidden)]
pub use diesel_migrations;

/// The async SQLite connection: diesel's synchronous one, run off the runtime.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;
/// The async PostgreSQL connection.
pub type PgConn = AsyncPgConnection;

/// A service's database: a pool on one of the two backends. Cheap to clone.
#[derive(Clone)]
pub enum Db {
    Sqlite(Pool<SqliteConn>),
    Postgres(Pool<PgConn>),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(_) => "Db::Sqlite",
            Db::Postgres(_) => "Db::Postgres",
        })
    }
}

/// A service's embedded migrations, one set per backend (built by
/// [`migrations!`](crate::migrations)).
pub struct Migrations {
    pub sqlite: EmbeddedMigrations,
    pub postgres: EmbeddedMigrations,
}

impl Migrations {
    /// No migrations of the service's own: a database with only the
    /// platform's tables (tests, tools).
    pub const NONE: Migrations = Migrations {
        sqlite: EmbeddedMigrations::new(&[]),
        postgres: EmbeddedMigrations::new(&[]),
    };
}

/// Database trouble. Connection-level failures are reported in one readable
/// line with the password left out.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("cannot migrate {target}: {reason}")]
    Migrate { target: String, reason: String },
    #[error("cannot write to {target}: {reason}")]
    NotWritable { target: String, reason: String },
    #[error("database pool: {0}")]
    Pool(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The error of a diesel query, as [`DbError::Query`] carries it.
pub type QueryError = diesel::result::Error;

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        DbError::Pool(err.to_string())
    }
}

impl DbError {
    /// Whether the database refused a duplicate key (a unique constraint).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }

    /// The same error about `target` (errors made off the runtime, where
    /// the target's name was not at hand, are named afterwards).
    fn for_target(self, target: &str) -> Self {
        let target = target.to_owned();
        match self {
            DbError::Connect { reason, .. } => DbError::Connect { target, reason },
            DbError::Migrate { reason, .. } => DbError::Migrate { target, reason },
            DbError::NotWritable { reason, .. } => DbError::NotWritable { target, reason },
            other => other,
        }
    }

    /// Whether a retry may succeed (the database was unreachable or busy).
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) | DbError::Connect { .. } => true,
            DbError::Query(Error::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::SerializationFailure | DatabaseErrorKind::ClosedConnection
                ) || info.message().contains("database is locked")
            }
            _ => false,
        }
    }
}

/// How long a caller waits for a pooled connection before giving up. Long
/// enough that a busy single-connection SQLite queue (a slow laptop, a load
/// test) waits rather than fails; calls still end at their own deadlines.
const POOL_WAIT: Duration = Duration::from_secs(15);

/// The PostgreSQL advisory lock that serialises migrations ("shopmigr").
const MIGRATION_LOCK: i64 = 0x7368_6f70_6d69_6772;

/// SQLite settings applied to every new connection. WAL lets readers run
/// beside the writer; the busy timeout makes a locked database wait instead
/// of failing. The timeout comes first: setting the journal mode takes a
/// lock too, and without it a process opening a database that another one
/// is writing (a second replica, a test's extra store) failed at once with
/// "database is locked".
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON;";

impl Db {
    /// Opens the database at `url`, checks it is reachable and runs the
    /// pending migrations. `pool_size` applies to PostgreSQL.
    pub async fn connect(
        url: &str,
        pool_size: usize,
        migrations: Migrations,
    ) -> Result<Self, DbError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            Self::connect_sqlite(path, migrations.sqlite).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url, pool_size, migrations.postgres).await
        } else {
            Err(DbError::BadUrl(format!(
                "{:?} must start with sqlite:// or postgres://",
                redact(url)
            )))
        }
    }

    async fn connect_sqlite(path: &str, migrations: EmbeddedMigrations) -> Result<Self, DbError> {
        if path.is_empty() {
            return Err(DbError::BadUrl("sqlite:// needs a file path".into()));
        }
        let target = format!("SQLite database {path}");
        let connect_err = |reason: String| DbError::Connect {
            target: target.clone(),
            reason,
        };
        let file = std::path::Path::new(sqlite_file(path));
        if let Some(parent) = file.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| connect_err(e.to_string()))?;
            check_directory_writable(parent, file).map_err(|reason| DbError::NotWritable {
                target: target.clone(),
                reason,
            })?;
        }

        // Migrations run on a plain synchronous connection, off the runtime.
        let owned = path.to_owned();
        let migrated = tokio::task::spawn_blocking(move || -> Result<(), DbError> {
            let unnamed = |reason: String| DbError::Connect {
                target: String::new(),
                reason,
            };
            let mut conn =
                SqliteConnection::establish(&owned).map_err(|e| unnamed(e.to_string()))?;
            diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)
                .map_err(|e| unnamed(e.to_string()))?;
            check_writable(&mut conn).map_err(|reason| DbError::NotWritable {
                target: String::new(),
                reason,
            })?;
            migrate(
                &mut conn,
                migrations,
                crate::events::store::migrations().sqlite,
            )
        })
        .await
        .map_err(|e| connect_err(e.to_string()))?;
        migrated.map_err(|e| e.for_target(&target))?;

        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(|url| {
            Box::pin(async move {
                let mut conn = SqliteConn::establish(url).await?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        let manager = AsyncDieselConnectionManager::new_with_config(path, config);
        // One connection: SQLite has a single writer anyway, and a lone
        // connection never meets "database is locked" from its own process.
        let pool = Pool::builder(manager)
            .max_size(1)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| connect_err(e.to_string()))?;
        let db = Db::Sqlite(pool);
        db.ping().await.map_err(|e| connect_err(e.to_string()))?;
        Ok(db)
    }

    async fn connect_postgres(
        url: &str,
        pool_size: usize,
        migrations: EmbeddedMigrations,
    ) -> Result<Self, DbError> {
        let target = format!("PostgreSQL at {}", redact(url));
        let owned = url.to_owned();
        let migrated = tokio::task::spawn_blocking(move || -> Result<(), DbError> {
            let mut conn =
                <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&owned)
                    .map_err(|e| DbError::Connect {
                        target: String::new(),
                        reason: e.to_string(),
                    })?;
            // Replicas starting together on an empty database take turns:
            // the first migrates, the others then find nothing pending.
            // The lock goes with this connection when it closes.
            diesel::connection::SimpleConnection::batch_execute(
                &mut conn,
                &format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"),
            )
            .map_err(|e| DbError::Migrate {
                target: String::new(),
                reason: format!("cannot take the migration lock: {e}"),
            })?;
            migrate(
                &mut conn,
                migrations,
                crate::events::store::migrations().postgres,
            )
        })
        .await
        .map_err(|e| DbError::Connect {
            target: target.clone(),
            reason: e.to_string(),
        })?;
        migrated.map_err(|e| e.for_target(&target))?;

        // Fast recycling: the pool's default runs `SELECT 1` every time a
        // connection is taken, a round trip that was 18 of a checkout's ~70
        // statements. A connection whose socket closed is still detected
        // (without a query) and replaced; one that died silently fails the
        // next query made on it, once, instead of being caught beforehand.
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<PgConn>::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| DbError::Connect {
                target: target.clone(),
                reason: e.to_string(),
            })?;
        Ok(Db::Postgres(pool))
    }

    /// Runs a trivial query: is the database reachable right now?
    pub async fn ping(&self) -> Result<(), DbError> {
        // Not through `on_db!`: a health check is no span worth tracing.
        let select_1 = diesel::sql_query("SELECT 1");
        match self {
            Db::Sqlite(pool) => select_1.execute(&mut *pool.get().await?).await?,
            Db::Postgres(pool) => select_1.execute(&mut *pool.get().await?).await?,
        };
        Ok(())
    }

    /// Keeps the `db_pool_*` gauges of `service` up to date at every scrape,
    /// for as long as this pool lives.
    pub fn report_pool_metrics(&self, service: &'static str) {
        match self {
            Db::Sqlite(pool) => report_pool(service, pool),
            Db::Postgres(pool) => report_pool(service, pool),
        }
    }

    /// Which backend this is, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }
}

/// Runs the service's pending migrations, then the platform's own (the
/// event tables every service has). Diesel records a migration by its
/// version alone (its folder's date and number) and runs what a set holds
/// that the database has not seen, so a service migration with the same
/// version as one of the platform's would silently stand for it: that is
/// refused, naming the folder to rename.
fn migrate<C>(
    conn: &mut C,
    service: EmbeddedMigrations,
    platform: EmbeddedMigrations,
) -> Result<(), DbError>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let versions = |set: &EmbeddedMigrations| -> Result<Vec<String>, DbError> {
        let migrations =
            MigrationSource::<C::Backend>::migrations(set).map_err(|e| DbError::Migrate {
                target: String::new(),
                reason: e.to_string(),
            })?;
        Ok(migrations
            .iter()
            .map(|m| m.name().version().to_string())
            .collect())
    };
    let platform_versions = versions(&platform)?;
    if let Some(shared) = versions(&service)?
        .into_iter()
        .find(|v| platform_versions.contains(v))
    {
        return Err(DbError::Migrate {
            target: String::new(),
            reason: format!(
                "the service's migration {shared} has the version of one of the platform's; \
                 give its folder another date or number"
            ),
        });
    }
    for set in [service, platform] {
        conn.run_pending_migrations(set)
            .map_err(|e| DbError::Migrate {
                target: String::new(),
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

/// Runs `body` with `conn` bound to a pooled connection of whichever backend
/// `db` is on. The body is compiled once per backend, so the same diesel DSL
/// is type-checked against both. The enclosing function's error type needs
/// `From<DbError>` (and `From<diesel::result::Error>` for queries).
/// Defines the service's `pub fn migrations() -> platform::db::Migrations`,
/// embedding the SQL at compile time (paths relative to the crate's
/// `Cargo.toml`):
///
/// - `platform::migrations!("migrations")`: one folder both backends run;
/// - `platform::migrations!(sqlite: "migrations/sqlite", postgres:
///   "migrations/postgres")`: one folder per backend, where the DDL differs.
///
/// A migration's version is its folder's name, so moving a folder between
/// the two layouts leaves existing databases as they are.
#[macro_export]
macro_rules! migrations {
    ($both:literal) => {
        $crate::migrations!(sqlite: $both, postgres: $both);
    };
    (sqlite: $sqlite:literal, postgres: $postgres:literal $(,)?) => {
        /// This service's migrations for both backends.
        pub fn migrations() -> $crate::db::Migrations {
            use $crate::db::diesel_migrations::{self, EmbeddedMigrations, embed_migrations};
            const SQLITE: EmbeddedMigrations = embed_migrations!($sqlite);
            const POSTGRES: EmbeddedMigrations = embed_migrations!($postgres);
            $crate::db::Migrations {
                sqlite: SQLITE,
                postgres: POSTGRES,
            }
        }
    };
}

#[macro_export]
macro_rules! on_db {
    ($db:expr, |$conn:ident| $body:expr) => {{
        // A span per database operation (created, not entered: its length
        // is the operation's, and the body may hold it across awaits).
        let _span = $crate::db::operation_span($db);
        match $db {
            $crate::db::Db::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::from)?;
                let $conn: &mut $crate::db::SqliteConn = &mut *pooled;
                $body
            }
            $crate::db::Db::Postgres(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::from)?;
                let $conn: &mut $crate::db::PgConn = &mut *pooled;
                $body
            }
        }
    }};
}

/// Reports `pool`'s figures at each scrape; a weak handle, so the metrics
/// never keep a pool (and its connections) alive.
fn report_pool<M>(service: &'static str, pool: &deadpool::managed::Pool<M>)
where
    M: deadpool::managed::Manager + Send + Sync + 'static,
    M::Type: Send,
    M::Error: Send,
{
    let pool = pool.weak();
    crate::metrics::on_scrape(move || {
        let Some(pool) = pool.upgrade() else {
            return false;
        };
        let status = pool.status();
        crate::metrics::record_pool(
            service,
            crate::metrics::PoolStatus {
                max: status.max_size,
                open: status.size,
                idle: status.available,
                waiting: status.waiting,
            },
        );
        true
    });
}

/// The span of one database operation, a child of the current span.
#[doc(hidden)]
pub fn operation_span(db: &Db) -> tracing::Span {
    tracing::info_span!(
        "db",
        otel.name = "db.transaction",
        otel.kind = "client",
        db.system = match db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgresql",
        },
    )
}

/// Checks an existing SQLite database file before anything is served from
/// it: a damaged or foreign file (`file is not a database`, a failed
/// `PRAGMA quick_check`) is reported naming the file, so a program can say so
/// before it greets anyone. A file that does not exist yet is fine (it is
/// created at connect). Blocking: call it off the async runtime.
pub fn check_sqlite_file(path: &std::path::Path) -> Result<(), DbError> {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        quick_check: String,
    }
    if !path.exists() {
        return Ok(());
    }
    let damaged = |reason: String| DbError::Connect {
        target: format!("SQLite database {}", path.display()),
        reason: format!("{reason} (move the file away to start afresh)"),
    };
    let mut conn =
        SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| damaged(e.to_string()))?;
    let rows: Vec<Check> =
        diesel::RunQueryDsl::load(diesel::sql_query("PRAGMA quick_check"), &mut conn)
            .map_err(|e| damaged(e.to_string()))?;
    match <[Check]>::first(&rows).map(|row| row.quick_check.as_str()) {
        Some("ok") => Ok(()),
        Some(problem) => Err(damaged(format!("damaged: {problem}"))),
        None => Err(damaged("damaged: no answer to quick_check".into())),
    }
}

/// A LIKE pattern matching `text` anywhere in a value, with LIKE's
/// wildcards (`%`, `_`) and the escape character itself escaped, so they
/// match literally: use it with `.like(pattern).escape('\\')`, on either
/// backend.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The file of a SQLite location: a plain path, or the path of a
/// `file:` URI without its `?mode=ro`-style parameters.
fn sqlite_file(location: &str) -> &str {
    match location.strip_prefix("file:") {
        Some(uri) => uri.split(['?', '#']).next().unwrap_or_default(),
        None => location,
    }
}

/// SQLite needs to create files beside the database (the WAL and its
/// shared-memory index); in a directory where it cannot, the first write
/// fails long after the service said it was serving. A file created and
/// removed again is the one test that also holds for root and for
/// read-only mounts, where permission bits tell nothing.
fn check_directory_writable(
    directory: &std::path::Path,
    file: &std::path::Path,
) -> Result<(), String> {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let probe = directory.join(format!(".{name}.{}.probe", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            format!(
                "its directory {} does not let files be created ({e}); \
                 SQLite keeps {name}-wal and {name}-shm there",
                directory.display()
            )
        })
}

/// SQLite quietly opens a file it may not write (file permissions, a
/// read-only mount, `?mode=ro`) read-only: every read works, every write
/// fails. So one write is tried at start, in a transaction that is rolled
/// back (nothing reaches the file), and the service refuses to start
/// instead of reporting SERVING and answering writes with INTERNAL. Taking
/// the write lock alone (`BEGIN IMMEDIATE`) is not enough: a read-only
/// connection in WAL mode gets it.
fn check_writable(conn: &mut SqliteConnection) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    let tried =
        conn.batch_execute("BEGIN IMMEDIATE; CREATE TABLE shop_write_check (x INTEGER); ROLLBACK;");
    if tried.is_err() {
        // A failed statement leaves the transaction open.
        let _ = conn.batch_execute("ROLLBACK;");
    }
    tried.map_err(|e| format!("{e} (the service must be able to write the database file)"))
}

/// `url` with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_text_match_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern(""), "%%");
    }

    const NO_MIGRATIONS: Migrations = Migrations::NONE;

    /// A SQLite database that exists and was written once, in a temp dir.
    async fn existing_sqlite() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("shop.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()), 1, NO_MIGRATIONS)
            .await
            .expect("a writable database opens");
        drop(db);
        (dir, file)
    }

    #[tokio::test]
    async fn opening_a_database_another_connection_is_writing_waits_for_it() {
        let (_dir, file) = existing_sqlite().await;
        let mut writer = SqliteConnection::establish(&file.display().to_string()).expect("open");
        diesel::connection::SimpleConnection::batch_execute(
            &mut writer,
            "BEGIN EXCLUSIVE; CREATE TABLE held (id INTEGER);",
        )
        .expect("hold the write lock");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            diesel::connection::SimpleConnection::batch_execute(&mut writer, "COMMIT")
                .expect("commit");
        });
        let opened = Db::connect(&format!("sqlite://{}", file.display()), 1, NO_MIGRATIONS).await;
        release.join().expect("the writer");
        assert!(opened.is_ok(), "{:?}", opened.err());
    }

    /// Whether this process can write `path` despite its permission bits
    /// (root can, so permission tests prove nothing there).
    fn permissions_are_ignored(path: &std::path::Path) -> bool {
        if path.is_dir() {
            let probe = path.join("root-check");
            let created = std::fs::File::create(&probe).is_ok();
            let _ = std::fs::remove_file(probe);
            created
        } else {
            std::fs::OpenOptions::new().append(true).open(path).is_ok()
        }
    }

    fn set_mode(path: &std::path::Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn assert_refused_naming(err: DbError, path: &std::path::Path) {
        let message = err.to_string();
        assert!(matches!(err, DbError::NotWritable { .. }), "{message}");
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(
            message.starts_with(&format!(
                "cannot write to SQLite database {}",
                path.display()
            )) || message.contains(&path.display().to_string()),
            "names the database: {message}"
        );
    }

    #[tokio::test]
    async fn a_service_migration_with_the_version_of_a_platform_one_is_refused() {
        // Diesel would record the service's as run and skip the platform's
        // (the event tables would be missing, silently).
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("shop.db").display());
        let err = Db::connect(&url, 1, crate::events::store::migrations())
            .await
            .expect_err("a shared version must not start");
        let message = err.to_string();
        assert!(
            message.contains("has the version of one of the platform's"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_sqlite_database_opened_read_only_refuses_to_start() {
        // SQLite would serve reads from it and fail every write; the URL
        // forms hold whoever runs the test, root included.
        let (_dir, file) = existing_sqlite().await;
        for params in ["mode=ro", "immutable=1"] {
            let url = format!("sqlite://file:{}?{params}", file.display());
            let err = Db::connect(&url, 1, NO_MIGRATIONS)
                .await
                .expect_err(&format!("{params} must not start"));
            let message = err.to_string();
            assert!(message.contains("readonly"), "says why: {message}");
            assert_refused_naming(err, &file);
        }
    }

    #[tokio::test]
    async fn a_write_protected_sqlite_file_refuses_to_start() {
        let (_dir, file) = existing_sqlite().await;
        set_mode(&file, 0o444);
        if permissions_are_ignored(&file) {
            eprintln!("note: running as root, which writes a 0444 file anyway; not checked here");
            return;
        }
        let err = Db::connect(&format!("sqlite://{}", file.display()), 1, NO_MIGRATIONS)
            .await
            .expect_err("a read-only file must not start");
        assert_refused_naming(err, &file);
    }

    #[tokio::test]
    async fn a_sqlite_database_in_a_directory_without_write_access_refuses_to_start() {
        let (dir, file) = existing_sqlite().await;
        set_mode(dir.path(), 0o555);
        let ignored = permissions_are_ignored(dir.path());
        let result = Db::connect(&format!("sqlite://{}", file.display()), 1, NO_MIGRATIONS).await;
        set_mode(dir.path(), 0o755);
        if ignored {
            eprintln!(
                "note: running as root, which writes in a 0555 directory anyway; not checked here"
            );
            result.expect("a writable database opens");
            return;
        }
        let err = result.expect_err("an unwritable directory must not start");
        assert!(err.to_string().contains("-wal"), "says why: {err}");
        assert_refused_naming(err, &file);
    }

    #[test]
    fn sqlite_uris_name_their_file() {
        assert_eq!(sqlite_file("data/catalog.db"), "data/catalog.db");
        assert_eq!(sqlite_file("file:/tmp/x.db?mode=ro"), "/tmp/x.db");
        assert_eq!(sqlite_file("file:x.db"), "x.db");
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact("postgres://shop:s3cret@db:5432/catalog"),
            "postgres://shop:***@db:5432/catalog"
        );
        assert_eq!(
            redact("postgres://shop@db/catalog"),
            "postgres://shop@db/catalog"
        );
        assert_eq!(
            redact("sqlite://data/catalog.db"),
            "sqlite://data/catalog.db"
        );
    }
}
