//! A fuzzer that learns the API the way any client can, by reflection: it
//! asks the gateway and each service for their services and descriptors,
//! then sends every unary and server-streaming method random well-formed
//! messages and malformed bodies, as an anonymous caller, a customer, an
//! admin and (directly to the services) another service. It proves that
//! no input, however odd, gets UNKNOWN, gets INTERNAL when it was a valid
//! message, gets UNIMPLEMENTED from a method reflection lists, gets
//! UNAVAILABLE while every service is up (or an open circuit), drops the
//! connection, goes unanswered, or takes any service out of SERVING.
//!
//! Deterministic: the messages follow from the seed (`FUZZ_SEED`, printed
//! at the start) and the number of calls per method and target
//! (`FUZZ_ITERATIONS`); a failure names the target, method, caller and
//! the bytes sent, so `FUZZ_SEED=... cargo test -p shop --test e2e fuzz`
//! replays it.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration};

use bytes::Bytes;
use gateway::limits::Rate;
use platform::auth::{Role, issuer};
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    MethodDescriptor, Value,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use tonic::{Code, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::{
    helpers::*,
    raw::{Outcome, RawCall, frame, frame_with},
};

/// The seed when `FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5110_0011;

/// Calls per method and target when `FUZZ_ITERATIONS` is not set: enough
/// to try every kind of body with every caller on most methods while the
/// whole test stays well under a minute in a debug build.
const DEFAULT_ITERATIONS: usize = 12;

/// Generous: only a call that is really stuck takes this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// Services the fuzzer leaves alone: reflection is a bidirectional stream
/// (the fuzzer's own discovery exercises it).
const SKIPPED_SERVICES: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One server to fuzz and the tokens to call it with.
struct Target {
    name: &'static str,
    channel: Channel,
    callers: Vec<(&'static str, Option<String>)>,
}

/// What a target serves, as its reflection tells it.
struct Api {
    services: Vec<String>,
    pool: DescriptorPool,
}

/// One reflection request and its answer, on its own stream.
async fn reflect(target: &str, channel: &Channel, request: MessageRequest) -> MessageResponse {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut answers = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(futures_util::stream::iter([request]))
        .await
        .unwrap_or_else(|e| panic!("{target}: reflection refused: {e:?}"))
        .into_inner();
    answers
        .message()
        .await
        .unwrap_or_else(|e| panic!("{target}: reflection failed: {e:?}"))
        .and_then(|answer| answer.message_response)
        .unwrap_or_else(|| panic!("{target}: reflection did not answer"))
}

/// Lists `channel`'s services and fetches the files that define them, and
/// their imports, over reflection v1, as a client without the protos does.
/// The well-known types (google/protobuf/*) come with the pool, as they do
/// with grpcurl.
async fn discover(target: &str, channel: &Channel) -> Api {
    let services: Vec<String> =
        match reflect(target, channel, MessageRequest::ListServices(String::new())).await {
            MessageResponse::ListServicesResponse(list) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("{target}: reflection did not list services: {other:?}"),
        };
    let mut pool = DescriptorPool::global();
    let mut files = BTreeMap::new();
    let mut wanted: Vec<MessageRequest> = services
        .iter()
        .map(|s| MessageRequest::FileContainingSymbol(s.clone()))
        .collect();
    while let Some(request) = wanted.pop() {
        let asked = format!("{request:?}");
        let MessageResponse::FileDescriptorResponse(found) =
            reflect(target, channel, request).await
        else {
            panic!("{target}: reflection could not answer {asked}");
        };
        for encoded in found.file_descriptor_proto {
            let file = prost_types::FileDescriptorProto::decode(encoded.as_slice())
                .unwrap_or_else(|e| panic!("{target}: reflection sent a bad descriptor: {e}"));
            for import in &file.dependency {
                if !files.contains_key(import) && pool.get_file_by_name(import).is_none() {
                    wanted.push(MessageRequest::FileByFilename(import.clone()));
                }
            }
            files.insert(file.name().to_owned(), file);
        }
    }
    pool.add_file_descriptor_protos(files.into_values())
        .unwrap_or_else(|e| panic!("{target}: reflection's descriptors do not form a pool: {e}"));
    Api { services, pool }
}

/// Values a real client might send, and values that have broken services
/// before: ids of things that exist, of things that do not, and text that
/// is long, empty, odd Unicode, or means something elsewhere.
fn interesting_strings(product: &str) -> Vec<String> {
    vec![
        String::new(),
        product.to_owned(),
        "00000000-0000-7000-8000-000000000001".to_owned(),
        uuid::Uuid::nil().to_string(),
        "not-a-uuid".to_owned(),
        "USD".to_owned(),
        "EUR".to_owned(),
        "XXX".to_owned(),
        "customer@shop.test".to_owned(),
        "4242424242424242".to_owned(),
        "4000000000000002".to_owned(),
        "GB".to_owned(),
        "name".to_owned(),
        "price,stock".to_owned(),
        "' OR 1=1 --".to_owned(),
        "%s%n%x".to_owned(),
        "../../etc/passwd".to_owned(),
        "\u{0}\u{1}\u{7f}".to_owned(),
        "😀 ünïcödé \u{202e}".to_owned(),
        "a".repeat(300),
        "z".repeat(70_000),
    ]
}

/// Makes random messages of a pool's types.
struct Generator<'a> {
    rng: &'a mut StdRng,
    strings: &'a [String],
    /// Every field set, and every top-level list long.
    crowded: bool,
}

impl Generator<'_> {
    fn message(&mut self, descriptor: &MessageDescriptor, depth: usize) -> DynamicMessage {
        let mut message = DynamicMessage::new(descriptor.clone());
        // At most one field of each oneof, sometimes none.
        let mut oneofs_set = std::collections::HashSet::new();
        let mut fields: Vec<FieldDescriptor> = descriptor.fields().collect();
        fields.shuffle(self.rng);
        for field in fields {
            if !self.crowded && !self.rng.gen_bool(0.7) {
                continue;
            }
            if let Some(oneof) = field.containing_oneof()
                && !oneof.is_synthetic()
                && !oneofs_set.insert(oneof.full_name().to_owned())
            {
                continue;
            }
            if let Some(value) = self.field(&field, depth) {
                message.set_field(&field, value);
            }
        }
        message
    }

    fn field(&mut self, field: &FieldDescriptor, depth: usize) -> Option<Value> {
        if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                return None;
            };
            let (key, value) = (entry.map_entry_key_field(), entry.map_entry_value_field());
            let mut map = std::collections::HashMap::new();
            for _ in 0..self.rng.gen_range(0..4) {
                let key = match self.single(&key.kind(), depth + 1)? {
                    Value::String(s) => MapKey::String(s),
                    Value::Bool(b) => MapKey::Bool(b),
                    Value::I32(n) => MapKey::I32(n),
                    Value::I64(n) => MapKey::I64(n),
                    Value::U32(n) => MapKey::U32(n),
                    Value::U64(n) => MapKey::U64(n),
                    _ => return None,
                };
                map.insert(key, self.single(&value.kind(), depth + 1)?);
            }
            return Some(Value::Map(map));
        }
        if field.is_list() {
            let len = match self.rng.gen_range(0..10) {
                _ if self.crowded && depth == 0 => self.rng.gen_range(100..=600),
                0..=6 => self.rng.gen_range(0..4),
                7 | 8 => self.rng.gen_range(4..30),
                // Many items, but only near the top, so sizes stay sane.
                _ if depth <= 1 => self.rng.gen_range(100..=600),
                _ => self.rng.gen_range(4..30),
            };
            let deeper = if len > 30 { depth + 2 } else { depth + 1 };
            let items = (0..len)
                .filter_map(|_| self.single(&field.kind(), deeper))
                .collect();
            return Some(Value::List(items));
        }
        self.single(&field.kind(), depth + 1)
    }

    fn single(&mut self, kind: &Kind, depth: usize) -> Option<Value> {
        let rng = &mut *self.rng;
        Some(match kind {
            Kind::Bool => Value::Bool(rng.r#gen()),
            Kind::String => Value::String(self.string()),
            Kind::Bytes => {
                let len = rng.gen_range(0..64);
                Value::Bytes(Bytes::from(
                    (0..len).map(|_| rng.r#gen::<u8>()).collect::<Vec<_>>(),
                ))
            }
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(
                *[
                    0,
                    1,
                    -1,
                    2,
                    99,
                    i32::MIN,
                    i32::MAX,
                    rng.r#gen(),
                    rng.gen_range(-1000..1000),
                ]
                .choose(rng)
                .expect("a choice"),
            ),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(
                *[
                    0,
                    1,
                    -1,
                    2,
                    1000,
                    i64::MIN,
                    i64::MAX,
                    i64::from(i32::MAX) + 1,
                    rng.r#gen(),
                    rng.gen_range(-100_000..100_000),
                ]
                .choose(rng)
                .expect("a choice"),
            ),
            Kind::Uint32 | Kind::Fixed32 => {
                Value::U32(*[0, 1, u32::MAX, rng.r#gen()].choose(rng).expect("a choice"))
            }
            Kind::Uint64 | Kind::Fixed64 => {
                Value::U64(*[0, 1, u64::MAX, rng.r#gen()].choose(rng).expect("a choice"))
            }
            Kind::Float => Value::F32(
                *[0.0, -1.5, f32::NAN, f32::INFINITY, f32::MAX, rng.r#gen()]
                    .choose(rng)
                    .expect("a choice"),
            ),
            Kind::Double => Value::F64(
                *[
                    0.0,
                    -1.5,
                    f64::NAN,
                    f64::NEG_INFINITY,
                    f64::MAX,
                    rng.r#gen(),
                ]
                .choose(rng)
                .expect("a choice"),
            ),
            Kind::Enum(descriptor) => {
                let known: Vec<i32> = descriptor.values().map(|v| v.number()).collect();
                Value::EnumNumber(match rng.gen_range(0..4) {
                    0 => rng.gen_range(-5..1000),
                    _ => *known.choose(rng).unwrap_or(&0),
                })
            }
            Kind::Message(descriptor) => {
                if depth > 5 {
                    return None;
                }
                Value::Message(self.message(descriptor, depth))
            }
        })
    }

    fn string(&mut self) -> String {
        match self.rng.gen_range(0..5) {
            0 => {
                let len = self.rng.gen_range(0..40);
                (0..len).map(|_| self.rng.r#gen::<char>()).collect()
            }
            1 => uuid::Builder::from_random_bytes(self.rng.r#gen())
                .into_uuid()
                .to_string(),
            _ => self.strings.choose(self.rng).cloned().unwrap_or_default(),
        }
    }
}

/// The kinds of body the fuzzer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    WellFormed,
    /// Well-formed, with every field set and hundreds of items in each list.
    Crowded,
    RandomBytes,
    Truncated,
    WrongWireType,
    LengthClaimsMore,
    CompressedFlag,
    NoMessage,
    TwoMessages,
}

impl Case {
    fn is_well_formed(self) -> bool {
        matches!(self, Case::WellFormed | Case::Crowded)
    }
}

const MALFORMED: [Case; 7] = [
    Case::RandomBytes,
    Case::Truncated,
    Case::WrongWireType,
    Case::LengthClaimsMore,
    Case::CompressedFlag,
    Case::NoMessage,
    Case::TwoMessages,
];

/// The protobuf wire type of a field's values.
fn wire_type(field: &FieldDescriptor) -> u8 {
    if field.is_list() && field.is_packed() {
        return 2;
    }
    match field.kind() {
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => 1,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::String | Kind::Bytes | Kind::Message(_) => 2,
        _ => 0,
    }
}

/// A protobuf varint.
fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push(u8::try_from(n & 0x7f).expect("seven bits") | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).expect("under 0x80"));
}

/// The request body of `case` for `method`.
fn body(case: Case, method: &MethodDescriptor, generator: &mut Generator<'_>) -> Vec<u8> {
    let input = method.input();
    generator.crowded = case == Case::Crowded;
    let message = generator.message(&input, 0).encode_to_vec();
    let rng = &mut *generator.rng;
    match case {
        Case::WellFormed | Case::Crowded => frame(&message),
        Case::RandomBytes => {
            let len = rng.gen_range(1..300);
            frame(&(0..len).map(|_| rng.r#gen::<u8>()).collect::<Vec<_>>())
        }
        Case::Truncated if message.len() > 1 => frame(&message[..rng.gen_range(1..message.len())]),
        // Nothing to cut: a lone tag byte claiming a length-delimited field.
        Case::Truncated => frame(&[0x0a]),
        Case::WrongWireType => {
            let fields: Vec<FieldDescriptor> = input.fields().collect();
            let mut bytes = message;
            let (number, right) = fields
                .choose(rng)
                .map_or((1, 0), |f| (f.number(), wire_type(f)));
            let wrong = **[0u8, 1, 2, 5]
                .iter()
                .filter(|w| **w != right)
                .collect::<Vec<_>>()
                .choose(rng)
                .expect("a wire type");
            varint((u64::from(number) << 3) | u64::from(wrong), &mut bytes);
            match wrong {
                0 => varint(rng.r#gen(), &mut bytes),
                1 => bytes.extend_from_slice(&rng.r#gen::<u64>().to_le_bytes()),
                2 => bytes.extend_from_slice(&[3, 0xff, 0xfe, 0xfd]),
                _ => bytes.extend_from_slice(&rng.r#gen::<u32>().to_le_bytes()),
            }
            frame(&bytes)
        }
        Case::LengthClaimsMore => {
            frame_with(false, message.len() + rng.gen_range(1..100_000), &message)
        }
        Case::CompressedFlag => frame_with(true, message.len(), &message),
        Case::NoMessage => Vec::new(),
        Case::TwoMessages => {
            let mut two = frame(&message);
            two.extend(frame(&message));
            two
        }
    }
}

/// Why an outcome is a failure, if it is one.
fn verdict(case: Case, outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Transport(_) => Some("the call failed in transport (connection dropped?)".into()),
        Outcome::Hung => Some(format!("no answer within {CALL_TIMEOUT:?}")),
        Outcome::Answered { http, .. } if *http != 200 => {
            Some(format!("HTTP {http} instead of a gRPC answer"))
        }
        Outcome::Answered {
            code: None,
            messages: 0,
            ..
        } => Some("an answer without a grpc-status or a message".into()),
        Outcome::Answered {
            code: Some(Code::Unknown),
            ..
        } => Some("UNKNOWN: an unexpected error escaped a handler".into()),
        Outcome::Answered {
            code: Some(Code::Internal),
            ..
        } if case.is_well_formed() => Some("INTERNAL for a well-formed message".into()),
        // Reflection promised the method; only a compressed body (which
        // no one negotiated) may be refused as unimplemented.
        Outcome::Answered {
            code: Some(Code::Unimplemented),
            ..
        } if case.is_well_formed() => Some("UNIMPLEMENTED, yet reflection lists the method".into()),
        outcome if outcome.is_circuit_open() => {
            Some("a circuit breaker opened: every caller is refused now".into())
        }
        // Every service is up: a caller's message alone made one look down.
        Outcome::Answered {
            code: Some(Code::Unavailable),
            ..
        } => Some("UNAVAILABLE while every service is up".into()),
        Outcome::Answered { .. } => None,
    }
}

/// A stable hash (FNV-1a), so each method's messages follow from the seed
/// whatever order the targets run in.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn hex_preview(bytes: &[u8]) -> String {
    let mut text = String::new();
    for byte in bytes.iter().take(96) {
        let _ = write!(text, "{byte:02x}");
    }
    if bytes.len() > 96 {
        let _ = write!(text, "... ({} bytes)", bytes.len());
    }
    text
}

/// Fuzzes every method `target` lists; returns the failures and a count
/// of the codes seen.
async fn fuzz(
    target: Target,
    seed: u64,
    iterations: usize,
    strings: Vec<String>,
) -> (Vec<String>, BTreeMap<String, usize>) {
    let api = discover(target.name, &target.channel).await;
    // By target, method and what went wrong: how often, and the first case.
    let mut failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for service in &api.services {
        if SKIPPED_SERVICES.contains(&service.as_str()) {
            continue;
        }
        let descriptor = api
            .pool
            .get_service_by_name(service)
            .unwrap_or_else(|| panic!("{}: {service} is listed but not described", target.name));
        for method in descriptor.methods() {
            if method.is_client_streaming() {
                continue;
            }
            let path = format!("/{}/{}", service, method.name());
            let mut rng =
                StdRng::seed_from_u64(seed ^ stable_hash(&format!("{}{path}", target.name)));
            for iteration in 0..iterations {
                let case = if iteration % 2 == 0 {
                    Case::WellFormed
                } else if iteration % 6 == 1 {
                    Case::Crowded
                } else {
                    *MALFORMED.choose(&mut rng).expect("a case")
                };
                let (caller, token) = &target.callers[iteration % target.callers.len()];
                let mut generator = Generator {
                    rng: &mut rng,
                    strings: &strings,
                    crowded: false,
                };
                let body = body(case, &method, &mut generator);
                let mut call = RawCall::new(&path, body.clone()).bearer(token.as_deref());
                call.streaming = method.is_server_streaming();
                call.timeout = CALL_TIMEOUT;
                let outcome = call.send(&target.channel).await;
                let code = outcome
                    .code()
                    .map_or("none".to_owned(), |c| format!("{c:?}"));
                *seen.entry(code).or_insert(0) += 1;
                if let Some(why) = verdict(case, &outcome) {
                    let key = format!("{} {path}: {why}", target.name);
                    let example = || {
                        format!(
                            "as {caller}, {case:?} (call {iteration}); got: {outcome}\n      \
                             sent (framed): {}",
                            hex_preview(&body)
                        )
                    };
                    failures.entry(key).or_insert_with(|| (0, example())).0 += 1;
                }
            }
        }
    }
    let failures = failures
        .into_iter()
        .map(|(key, (times, example))| format!("{key} ({times} time(s)), first {example}"))
        .collect();
    (failures, seen)
}

/// The health of `channel`'s every service ("" included) that is not SERVING.
async fn not_serving(name: &str, channel: &Channel) -> Vec<String> {
    let api = discover(name, channel).await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let mut problems = Vec::new();
    let services = std::iter::once(String::new())
        .chain(api.services.into_iter().filter(|s| !s.starts_with("grpc.")));
    for service in services {
        let status = health
            .check(HealthCheckRequest {
                service: service.clone(),
            })
            .await
            .map(|r| r.into_inner().status());
        if !matches!(status, Ok(ServingStatus::Serving)) {
            problems.push(format!("{name} health of {service:?}: {status:?}"));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_of_any_shape_breaks_any_method_of_any_service() {
    let seed = env_or("FUZZ_SEED", DEFAULT_SEED);
    let iterations = env_or("FUZZ_ITERATIONS", DEFAULT_ITERATIONS);
    eprintln!(
        "fuzz: seed {seed}, {iterations} calls per method and target \
         (FUZZ_SEED={seed} FUZZ_ITERATIONS={iterations} to replay)"
    );
    let shop = TestShop::spawn_with(|gateway| {
        // Every fuzzed call should reach a service, not the rate limit.
        gateway.rate = Rate {
            per_second: 100_000.0,
            burst: 100_000,
        };
    })
    .await;
    let product = shop.product("Fuzzed beans", 1250, 1_000_000).await;
    let (customer, customer_id) = shop.register("fuzzed@example.com").await;
    let admin = shop.admin().await;
    let on_behalf = shop
        .keys
        .service_token(issuer::ORDERS, &customer_id, Role::Customer);
    let user_callers = vec![
        ("an anonymous caller", None),
        ("a customer", Some(customer.clone())),
        ("an admin", Some(admin.clone())),
    ];
    let mut service_callers = user_callers.clone();
    service_callers.push(("the orders service for a customer", Some(on_behalf)));
    let direct = |address| platform::client::channel(&format!("http://{address}")).expect("url");
    let targets = vec![
        Target {
            name: "gateway",
            channel: shop.channel.clone(),
            callers: user_callers,
        },
        Target {
            name: "catalog",
            channel: direct(shop.backends.catalog),
            callers: service_callers.clone(),
        },
        Target {
            name: "orders",
            channel: direct(shop.backends.orders),
            callers: service_callers.clone(),
        },
        Target {
            name: "payments",
            channel: direct(shop.backends.payments),
            callers: service_callers,
        },
    ];
    let channels: Vec<(&'static str, Channel)> = targets
        .iter()
        .map(|t| (t.name, t.channel.clone()))
        .collect();
    let strings = interesting_strings(&product);
    // The four targets at once, as real clients would be.
    let runs = futures_util::future::join_all(
        targets
            .into_iter()
            .map(|target| tokio::spawn(fuzz(target, seed, iterations, strings.clone()))),
    )
    .await;

    let mut failures = Vec::new();
    for ((name, _), run) in channels.iter().zip(runs) {
        let (found, seen) = run.expect("a fuzzing task panicked");
        eprintln!("fuzz: {name} answered {seen:?}");
        failures.extend(found);
    }
    for (name, channel) in &channels {
        failures.extend(not_serving(name, channel).await);
    }
    // The shop still does its job for an ordinary customer.
    let order = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(&customer, "after-the-fuzz", &product, 1)
                .await,
            Some(&customer),
        ))
        .await;
    if let Err(status) = order {
        failures.push(format!(
            "a customer's order after the fuzz failed: {status:?}"
        ));
    }
    assert!(
        failures.is_empty(),
        "fuzz (FUZZ_SEED={seed} FUZZ_ITERATIONS={iterations}) found {} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    shop.stop().await;
}
