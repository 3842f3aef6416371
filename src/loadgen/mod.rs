//! `shop loadgen`: drives a running shop with the generated clients and
//! measures it. N virtual users share M connections; each runs a scenario
//! in a closed loop (next call when the last one ends) or an open loop (a
//! fixed total rate, latency from the intended start). A warm-up comes
//! first, then the measured window; latencies go into HDR histograms.
//! `--window-marks` tells a script when that window opens and closes, so it
//! can read counters (CPU time, database statistics) over exactly it.

mod report;
mod scenarios;
mod schedule;
mod transport;

use std::{
    io::{IsTerminal, Write as _},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use clap::Parser;
use http::Uri;
use tokio::time::Instant;
use tonic::Code;

pub use report::{Latency, OpSummary, Report};
pub use scenarios::Scenario;
pub use schedule::OpenLoop;
pub use transport::Transport;

use platform::config::parse_duration;
use report::Stats;
use scenarios::{Admin, User};

/// Drive a running shop and report throughput, latency and errors.
#[derive(Parser, Debug, Clone)]
#[command(name = "loadgen")]
pub struct Args {
    /// Where to send the calls: the gateway, or a service directly.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub target: Uri,

    /// What the virtual users do.
    #[arg(long, value_enum, default_value_t = Scenario::Mixed)]
    pub scenario: Scenario,

    /// Native gRPC (HTTP/2) or grpc-web (HTTP/1.1, as a browser).
    #[arg(long, value_enum, default_value_t = Transport::Grpc)]
    pub transport: Transport,

    /// Concurrent virtual users.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub users: u16,

    /// Connections the users share round robin (at most one per user).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub connections: u16,

    /// Open loop: start this many calls per second in total, on a fixed
    /// timetable. Without it: closed loop, as fast as the users can go.
    #[arg(long)]
    pub rate: Option<f64>,

    /// Calls made before the measured window, not counted.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// The measured window.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// The deadline of each call.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Print the report as JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Exit non-zero if any measured call failed.
    #[arg(long)]
    pub fail_on_error: bool,

    /// No progress line while running.
    #[arg(long)]
    pub quiet: bool,

    /// Append a line `start` to this file when the measured window opens
    /// and `end` when it closes (for scripts that sample counters over the
    /// window; the load is the same with or without it).
    #[arg(long, value_name = "FILE")]
    pub window_marks: Option<PathBuf>,

    /// An admin account, to create the product that checkouts buy.
    #[arg(long, env = "LOADGEN_ADMIN_EMAIL", default_value = gateway::DEMO_ADMIN.0)]
    pub admin_email: String,
    #[arg(
        long,
        env = "LOADGEN_ADMIN_PASSWORD",
        hide_env_values = true,
        default_value = gateway::DEMO_ADMIN.1
    )]
    pub admin_password: String,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("--rate must be a positive number of calls per second, not {0}")]
    Rate(f64),
    #[error("setting up the run failed: {0}")]
    Setup(String),
    #[error("a virtual user stopped unexpectedly: {0}")]
    User(String),
}

/// Counters the progress line reads while the users run.
#[derive(Default)]
struct Progress {
    measured: AtomicU64,
    errors: AtomicU64,
}

/// Runs the load described by `args` and returns what it measured.
pub async fn run(args: &Args) -> Result<Report, Error> {
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(Error::Rate(rate));
    }
    let users = usize::from(args.users);
    let connections = transport::connect(
        &args.target,
        args.transport,
        usize::from(args.connections).min(users),
    );
    let origin = args.target.clone();
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let admin = Admin {
        email: args.admin_email.clone(),
        password: args.admin_password.clone(),
    };

    let fixture = Arc::new(
        scenarios::prepare(
            connections[0].clone(),
            origin.clone(),
            args.scenario,
            &admin,
            &run_id,
            users,
        )
        .await
        .map_err(Error::Setup)?,
    );
    // Accounts first (argon2 is slow on purpose), all before the warm-up.
    let mut sign_ups = tokio::task::JoinSet::new();
    for user in 0..users {
        let connection = connections[user % connections.len()].clone();
        let (origin, run_id, buys) = (origin.clone(), run_id.clone(), args.scenario.buys());
        sign_ups.spawn(async move {
            let token = if buys {
                Some(scenarios::sign_up(connection, origin, &run_id, user).await?)
            } else {
                None
            };
            Ok::<_, String>((user, token))
        });
    }
    let mut tokens = vec![None; users];
    while let Some(joined) = sign_ups.join_next().await {
        let (user, token) = joined
            .map_err(|e| Error::Setup(e.to_string()))?
            .map_err(Error::Setup)?;
        tokens[user] = token;
    }

    let start = Instant::now();
    let measure_from = start + args.warmup;
    let end = measure_from + args.duration;
    let open = args.rate.map(|rate| OpenLoop { rate, users });
    if let Some(path) = args.window_marks.clone() {
        tokio::spawn(mark_window(path, measure_from, end));
    }
    let progress = Arc::new(Progress::default());
    let mut running = tokio::task::JoinSet::new();
    for (user, token) in tokens.into_iter().enumerate() {
        let client = User::new(
            connections[user % connections.len()].clone(),
            origin.clone(),
            args.scenario,
            fixture.clone(),
            token.as_deref(),
            user as u64,
            args.timeout,
        )
        .map_err(Error::Setup)?;
        running.spawn(virtual_user(
            client,
            user,
            open,
            (start, measure_from, end),
            progress.clone(),
        ));
    }

    let done = Arc::new(AtomicBool::new(false));
    let ticker = (!args.quiet).then(|| {
        tokio::spawn(show_progress(
            progress.clone(),
            done.clone(),
            (start, measure_from, end),
        ))
    });
    let mut stats = Stats::default();
    while let Some(joined) = running.join_next().await {
        stats.merge(&joined.map_err(|e| Error::User(e.to_string()))?);
    }
    done.store(true, Ordering::Relaxed);
    if let Some(ticker) = ticker {
        let _ = ticker.await;
    }

    let (operations, total) = stats.summarize(args.duration);
    Ok(Report {
        scenario: args.scenario.name().to_owned(),
        transport: args.transport,
        target: args.target.to_string(),
        users,
        connections: connections.len(),
        rate: args.rate,
        warmup_s: args.warmup.as_secs_f64(),
        duration_s: args.duration.as_secs_f64(),
        total,
        operations,
    })
}

/// One virtual user's loop: calls until the end of the window; records the
/// calls meant to start inside it.
async fn virtual_user(
    mut client: User,
    user: usize,
    open: Option<OpenLoop>,
    (start, measure_from, end): (Instant, Instant, Instant),
    progress: Arc<Progress>,
) -> Stats {
    let mut stats = Stats::default();
    for k in 0.. {
        let intended = match open {
            Some(schedule) => start + schedule.offset(user, k),
            None => Instant::now(),
        };
        if intended >= end {
            break;
        }
        tokio::time::sleep_until(intended).await;
        let (op, outcome) = client.step().await;
        if intended >= measure_from {
            stats.record(op, schedule::latency(intended, Instant::now()), outcome);
            progress.measured.fetch_add(1, Ordering::Relaxed);
            if outcome != Code::Ok {
                progress.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    stats
}

/// Appends `start` to `path` when the measured window opens and `end` when
/// it closes. A mark that cannot be written is reported, not fatal: the
/// load itself is still measured.
async fn mark_window(path: PathBuf, measure_from: Instant, end: Instant) {
    for (at, mark) in [(measure_from, "start"), (end, "end")] {
        tokio::time::sleep_until(at).await;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| writeln!(file, "{mark}"));
        if let Err(err) = written {
            eprintln!("cannot write the window mark to {}: {err}", path.display());
        }
    }
}

/// A progress line on stderr once a second: rewritten in place on a
/// terminal, one line per second in a log.
async fn show_progress(
    progress: Arc<Progress>,
    done: Arc<AtomicBool>,
    (start, measure_from, end): (Instant, Instant, Instant),
) {
    let terminal = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        if done.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        let line = if now < measure_from {
            format!(
                "warming up {:.0}/{:.0} s",
                (now - start).as_secs_f64(),
                (measure_from - start).as_secs_f64()
            )
        } else {
            let elapsed = (now.min(end) - measure_from).as_secs_f64();
            let measured = progress.measured.load(Ordering::Relaxed);
            format!(
                "measuring {elapsed:.0}/{:.0} s: {measured} calls, {:.0}/s, {} errors",
                (end - measure_from).as_secs_f64(),
                measured as f64 / elapsed.max(0.001),
                progress.errors.load(Ordering::Relaxed)
            )
        };
        if terminal {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    }
    if terminal {
        eprint!("\r\x1b[2K");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("loadgen").chain(extra.iter().copied()))
    }

    #[test]
    fn with_no_flags_it_mixes_against_the_local_gateway_in_a_closed_loop() {
        let args = parse(&[]).expect("defaults parse");
        assert_eq!(args.target, "http://127.0.0.1:8080");
        assert_eq!(args.scenario, Scenario::Mixed);
        assert_eq!(args.transport, Transport::Grpc);
        assert_eq!(args.rate, None);
        assert_eq!(args.duration, Duration::from_secs(10));
        assert!(!args.fail_on_error);
        assert_eq!(args.window_marks, None);
    }

    #[test]
    fn every_scenario_and_transport_has_a_kebab_case_name() {
        let args = parse(&[
            "--scenario",
            "get-product",
            "--transport",
            "grpc-web",
            "--users",
            "32",
            "--connections",
            "4",
            "--rate",
            "500",
            "--warmup",
            "500ms",
            "--duration",
            "1m",
            "--json",
            "--fail-on-error",
            "--window-marks",
            "marks.txt",
        ])
        .expect("valid flags");
        assert_eq!(args.scenario, Scenario::GetProduct);
        assert_eq!(args.transport, Transport::GrpcWeb);
        assert_eq!((args.users, args.connections), (32, 4));
        assert_eq!(args.rate, Some(500.0));
        assert_eq!(args.warmup, Duration::from_millis(500));
        assert_eq!(args.duration, Duration::from_secs(60));
        assert!(args.json && args.fail_on_error);
        assert_eq!(args.window_marks, Some(PathBuf::from("marks.txt")));
        for name in ["list-products", "browse", "checkout", "mixed"] {
            assert!(parse(&["--scenario", name]).is_ok(), "{name}");
        }
    }

    #[test]
    fn zero_users_a_unitless_duration_or_an_unknown_scenario_are_refused() {
        assert!(parse(&["--users", "0"]).is_err());
        assert!(parse(&["--duration", "10"]).is_err());
        assert!(parse(&["--scenario", "stampede"]).is_err());
    }

    #[tokio::test]
    async fn the_window_marks_are_appended_in_order_once_each_moment_has_passed() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("marks");
        std::fs::write(&path, "earlier\n").expect("write the file");
        let now = Instant::now();
        mark_window(path.clone(), now, now + Duration::from_millis(20)).await;
        assert!(Instant::now() >= now + Duration::from_millis(20));
        let marks = std::fs::read_to_string(&path).expect("read the marks");
        assert_eq!(marks, "earlier\nstart\nend\n");
    }

    #[tokio::test]
    async fn an_unwritable_marks_file_does_not_stop_the_run() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let now = Instant::now();
        mark_window(dir.path().join("missing").join("marks"), now, now).await;
        assert!(!dir.path().join("missing").exists());
    }

    #[tokio::test]
    async fn a_rate_of_zero_is_refused_before_any_call() {
        let args = parse(&["--rate", "0"]).expect("parses");
        assert!(matches!(run(&args).await, Err(Error::Rate(_))));
    }
}
