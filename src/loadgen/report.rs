//! What a run measured: an HDR histogram of latencies and the errors by
//! gRPC code, per operation, gathered by each virtual user without locks and
//! merged at the end; then the summary for people and the JSON for scripts.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration};

use hdrhistogram::Histogram;
use platform::error::code_name;
use serde::Serialize;
use tonic::Code;

/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, with
/// three significant digits (0.1 % error at most).
const HIGHEST_MICROS: u64 = 600_000_000;

/// One operation's outcomes as one virtual user (or, merged, the run) saw them.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latencies of the successful calls.
    latencies: Histogram<u64>,
    /// Failed calls by gRPC code name.
    errors: BTreeMap<&'static str, u64>,
}

impl Default for OpStats {
    fn default() -> Self {
        Self {
            latencies: Histogram::new_with_bounds(1, HIGHEST_MICROS, 3)
                .expect("constant histogram bounds are valid"),
            errors: BTreeMap::new(),
        }
    }
}

impl OpStats {
    pub fn record(&mut self, latency: Duration, outcome: Code) {
        if outcome == Code::Ok {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            self.latencies.saturating_record(micros.max(1));
        } else {
            *self.errors.entry(code_name(outcome)).or_default() += 1;
        }
    }

    fn merge(&mut self, other: &Self) {
        // Same bounds on both sides: adding cannot fail; saturating is the
        // fallback should it ever.
        if self.latencies.add(&other.latencies).is_err() {
            for value in other.latencies.iter_recorded() {
                self.latencies
                    .saturating_record_n(value.value_iterated_to(), value.count_at_value());
            }
        }
        for (code, count) in &other.errors {
            *self.errors.entry(code).or_default() += count;
        }
    }
}

/// Outcomes by operation name.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    ops: BTreeMap<&'static str, OpStats>,
}

impl Stats {
    pub fn record(&mut self, op: &'static str, latency: Duration, outcome: Code) {
        self.ops.entry(op).or_default().record(latency, outcome);
    }

    pub fn merge(&mut self, other: &Self) {
        for (op, stats) in &other.ops {
            self.ops.entry(op).or_default().merge(stats);
        }
    }

    /// The summary of a measured window of `window` length.
    pub fn summarize(&self, window: Duration) -> (Vec<OpSummary>, OpSummary) {
        let mut total = OpStats::default();
        let rows = self
            .ops
            .iter()
            .map(|(op, stats)| {
                total.merge(stats);
                OpSummary::of(op, stats, window)
            })
            .collect();
        (rows, OpSummary::of("total", &total, window))
    }
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpSummary {
    pub operation: String,
    pub calls: u64,
    pub ok: u64,
    pub errors: u64,
    /// Successful calls per second over the measured window.
    pub throughput: f64,
    pub latency_ms: Latency,
    /// Failed calls by gRPC code name (`UNAVAILABLE`, ...).
    pub errors_by_code: BTreeMap<String, u64>,
}

impl OpSummary {
    fn of(op: &str, stats: &OpStats, window: Duration) -> Self {
        let h = &stats.latencies;
        let ms = |micros: u64| micros as f64 / 1000.0;
        let at = |q: f64| ms(h.value_at_quantile(q));
        let ok = h.len();
        let errors: u64 = stats.errors.values().sum();
        Self {
            operation: op.to_owned(),
            calls: ok + errors,
            ok,
            errors,
            throughput: ok as f64 / window.as_secs_f64().max(f64::MIN_POSITIVE),
            latency_ms: if ok == 0 {
                Latency::default()
            } else {
                Latency {
                    p50: at(0.50),
                    p90: at(0.90),
                    p99: at(0.99),
                    p999: at(0.999),
                    max: ms(h.max()),
                    mean: h.mean() / 1000.0,
                }
            },
            errors_by_code: stats
                .errors
                .iter()
                .map(|(code, count)| ((*code).to_owned(), *count))
                .collect(),
        }
    }
}

/// The whole run, as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub transport: super::Transport,
    pub target: String,
    pub users: usize,
    pub connections: usize,
    /// The open-loop rate (calls per second), or `None` for a closed loop.
    pub rate: Option<f64>,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub total: OpSummary,
    pub operations: Vec<OpSummary>,
}

impl Report {
    /// Whether any call failed.
    pub fn failed(&self) -> bool {
        self.total.errors > 0
    }

    /// The summary for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mode = match self.rate {
            Some(rate) => format!("open loop at {rate} calls/s"),
            None => "closed loop".to_owned(),
        };
        let _ = writeln!(
            out,
            "{} over {} to {}: {mode}, {} users on {} connections, {:.1} s measured after {:.1} s warm-up\n",
            self.scenario,
            match self.transport {
                super::Transport::Grpc => "gRPC",
                super::Transport::GrpcWeb => "grpc-web",
            },
            self.target,
            self.users,
            self.connections,
            self.duration_s,
            self.warmup_s,
        );
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>7} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8}",
            "operation",
            "calls",
            "errors",
            "calls/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms"
        );
        for row in self.operations.iter().chain(std::iter::once(&self.total)) {
            let l = row.latency_ms;
            let _ = writeln!(
                out,
                "{:<16} {:>9} {:>7} {:>10.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>8.2}",
                row.operation,
                row.calls,
                row.errors,
                row.throughput,
                l.p50,
                l.p90,
                l.p99,
                l.p999,
                l.max
            );
        }
        out.push('\n');
        if self.failed() {
            let codes = self
                .total
                .errors_by_code
                .iter()
                .map(|(code, n)| format!("{code} x{n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(
                out,
                "ERRORS: {} of {} calls failed ({:.2} %): {codes}",
                self.total.errors,
                self.total.calls,
                100.0 * self.total.errors as f64 / self.total.calls.max(1) as f64
            );
            if self.total.errors_by_code.contains_key("RESOURCE_EXHAUSTED") {
                let _ = writeln!(
                    out,
                    "The gateway's rate limits refused calls: lower --rate or --users, or raise \
                     the gateway's --rate-per-second / --rate-burst for a load test."
                );
            }
        } else {
            let _ = writeln!(out, "No errors.");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn one_to_a_thousand_ms() -> Stats {
        let mut stats = Stats::default();
        for n in 1..=1000 {
            stats.record("get-product", ms(n), Code::Ok);
        }
        stats
    }

    #[test]
    fn percentiles_come_from_the_histogram_within_its_precision() {
        let (_, total) = one_to_a_thousand_ms().summarize(Duration::from_secs(10));
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.002;
        assert!(close(total.latency_ms.p50, 500.0), "{:?}", total.latency_ms);
        assert!(close(total.latency_ms.p90, 900.0), "{:?}", total.latency_ms);
        assert!(close(total.latency_ms.p99, 990.0), "{:?}", total.latency_ms);
        assert!(
            close(total.latency_ms.p999, 999.0),
            "{:?}",
            total.latency_ms
        );
        assert!(
            close(total.latency_ms.max, 1000.0),
            "{:?}",
            total.latency_ms
        );
    }

    #[test]
    fn throughput_counts_successful_calls_over_the_window() {
        let mut stats = one_to_a_thousand_ms();
        stats.record("get-product", ms(5), Code::Unavailable);
        let (_, total) = stats.summarize(Duration::from_secs(10));
        assert_eq!(total.calls, 1001);
        assert_eq!(total.errors, 1);
        assert!(
            (total.throughput - 100.0).abs() < 1e-9,
            "{}",
            total.throughput
        );
    }

    #[test]
    fn errors_are_counted_by_code_name_per_operation_and_in_total() {
        let mut alice = Stats::default();
        alice.record("checkout", ms(20), Code::ResourceExhausted);
        alice.record("get-product", ms(1), Code::Ok);
        let mut bob = Stats::default();
        bob.record("checkout", ms(20), Code::ResourceExhausted);
        bob.record("checkout", ms(20), Code::Unavailable);
        alice.merge(&bob);

        let (rows, total) = alice.summarize(Duration::from_secs(1));
        let names: Vec<_> = rows.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(names, ["checkout", "get-product"]);
        assert_eq!(rows[0].errors_by_code["RESOURCE_EXHAUSTED"], 2);
        assert_eq!(total.errors_by_code["UNAVAILABLE"], 1);
        assert_eq!(total.calls, 4);
    }

    fn report(stats: &Stats) -> Report {
        let (operations, total) = stats.summarize(Duration::from_secs(10));
        Report {
            scenario: "mixed".into(),
            transport: super::super::Transport::Grpc,
            target: "http://127.0.0.1:8080".into(),
            users: 4,
            connections: 2,
            rate: None,
            warmup_s: 2.0,
            duration_s: 10.0,
            total,
            operations,
        }
    }

    #[test]
    fn a_clean_run_says_so_and_a_failed_one_says_so_loudly() {
        let mut stats = one_to_a_thousand_ms();
        let clean = report(&stats);
        assert!(!clean.failed());
        assert!(clean.render().contains("No errors."));
        assert!(clean.render().contains("get-product"));

        stats.record("get-product", ms(1), Code::ResourceExhausted);
        let failed = report(&stats);
        assert!(failed.failed());
        let text = failed.render();
        assert!(text.contains("ERRORS: 1 of 1001 calls failed"), "{text}");
        assert!(text.contains("rate limits"), "{text}");
    }

    #[test]
    fn the_json_names_percentiles_and_error_codes() {
        let mut stats = one_to_a_thousand_ms();
        stats.record("get-product", ms(1), Code::Unavailable);
        let json = serde_json::to_value(report(&stats)).expect("serializable");
        assert!(json["total"]["latency_ms"]["p99"].as_f64().is_some());
        assert_eq!(json["total"]["errors_by_code"]["UNAVAILABLE"], 1);
        assert_eq!(json["transport"], "grpc");
        assert!(json["rate"].is_null());
    }
}
