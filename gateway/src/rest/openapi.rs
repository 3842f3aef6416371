//! The OpenAPI 3.1 document of the REST routes, generated at start from
//! the same descriptors the routes come from, so it cannot drift from what
//! is served: a path per rule, its path and query parameters, its request
//! body, a schema for every message and enum reachable (as the proto3 JSON
//! mapping writes them: 64-bit integers as strings, enums by name,
//! Timestamps as date-time strings, oneofs said in the description), the
//! proto comments as descriptions, the bearer token scheme, and the
//! AIP-193 error body.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    fmt::Write,
};

use platform::auth::{Access, Policy};
use prost_reflect::{
    EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, MethodDescriptor,
};
use serde_json::{Map, Value, json};

use super::routes::{BodyRule, Route, RouteTable};

/// The document for `table`; `policy` says which methods need a token.
pub fn document(table: &RouteTable, policy: &Policy) -> Value {
    let mut schemas = Schemas::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut tags: BTreeMap<String, Value> = BTreeMap::new();
    // OpenAPI holds `/v1/products/{id}` and `/v1/products/{product.id}` to
    // be one path (names aside), so routes of one shape share the first's
    // path and its variables' names; each operation says which field its
    // variable sets.
    let mut shapes: BTreeMap<String, String> = BTreeMap::new();
    for route in table.routes() {
        let service = route.method.parent_service();
        tags.entry(service.name().to_owned()).or_insert_with(|| {
            json!({
                "name": service.name(),
                "description": comment(&service.parent_file(), service.path())
                    .unwrap_or_else(|| service.full_name().to_owned()),
            })
        });
        let key = shapes
            .entry(shape(&route.template))
            .or_insert_with(|| plain_names(&route.template))
            .clone();
        let operation = operation(route, &variable_names(&key), policy, &mut schemas);
        paths
            .entry(key)
            .or_default()
            .insert(route.verb.as_str().to_ascii_lowercase(), operation);
    }
    let mut components = schemas.finish();
    components.insert("Error".to_owned(), error_schema());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Shop API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Shop's public API over REST/JSON: the same methods, \
                access rules, limits and errors as its gRPC and grpc-web API, \
                transcoded from the same contract by the gateway. JSON follows \
                the proto3 JSON mapping.",
            "license": { "name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0" },
        },
        "servers": [{ "url": "/", "description": "the gateway serving this document" }],
        "tags": tags.into_values().collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                "Error": {
                    "description": "The call failed: an AIP-193 error, its HTTP status from the gRPC code.",
                    "headers": {
                        "Retry-After": {
                            "description": "On 429: seconds to wait before trying again.",
                            "schema": { "type": "integer" },
                        },
                    },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
                },
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "The access token AuthService.Login (POST /v1/auth:login) returns.",
                },
            },
        },
    })
}

/// A template with its variables' names left out: `/v1/products/{}`.
fn shape(template: &str) -> String {
    let mut shape = String::new();
    let mut in_variable = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_variable = true;
                shape.push('{');
            }
            '}' => {
                in_variable = false;
                shape.push('}');
            }
            _ if in_variable => {}
            _ => shape.push(c),
        }
    }
    shape
}

/// `template` with each variable's field path written as one name
/// (`{saved_address.id}` -> `{saved_address_id}`): OpenAPI's path
/// templating names a parameter, and tools (schemathesis among them) take
/// a dot as an attribute access and fail.
fn plain_names(template: &str) -> String {
    let mut plain = String::with_capacity(template.len());
    let mut in_variable = false;
    for c in template.chars() {
        match c {
            '{' => in_variable = true,
            '}' => in_variable = false,
            '.' if in_variable => {
                plain.push('_');
                continue;
            }
            _ => {}
        }
        plain.push(c);
    }
    plain
}

/// The names of a template's variables, in order.
fn variable_names(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(variable, _)| variable.split('=').next().unwrap_or(variable).to_owned())
        .collect()
}

/// The OpenAPI operation of one route; `names` are its path variables'
/// names in the document's path.
fn operation(route: &Route, names: &[String], policy: &Policy, schemas: &mut Schemas) -> Value {
    let method = &route.method;
    let input = method.input();
    let description = method_comment(method).unwrap_or_else(|| method.full_name().to_owned());
    let summary = description
        .split_terminator(['.', '\n'])
        .next()
        .unwrap_or(method.name())
        .trim()
        .to_owned();
    let mut parameters: Vec<Value> = route
        .variables()
        .zip(names)
        .map(|(path, name)| {
            let field = path.0.last().cloned();
            let comment = field.as_ref().and_then(field_comment).unwrap_or_default();
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": format!("Sets `{}`. {comment}", path.dotted()).trim_end(),
                "schema": field.map_or_else(|| json!({"type": "string"}), |f| schemas.of_field(&f)),
            })
        })
        .collect();
    let bound: Vec<FieldDescriptor> = route.variables().filter_map(|p| p.top().cloned()).collect();
    if !matches!(route.body, BodyRule::Whole) {
        for field in input.fields() {
            let in_body = matches!(&route.body, BodyRule::Field(body) if *body == field);
            if in_body || bound.contains(&field) || !fits_a_query(&field) {
                continue;
            }
            parameters.push(json!({
                "name": field.json_name(),
                "in": "query",
                "description": field_comment(&field).unwrap_or_default(),
                "schema": schemas.of_field(&field),
            }));
        }
    }
    let mut operation = json!({
        "operationId": format!("{}_{}", method.parent_service().name(), method.name()),
        "summary": summary,
        "description": description,
        "tags": [method.parent_service().name()],
        "parameters": parameters,
        "responses": {
            "200": answer(method, schemas),
            "4XX": { "$ref": "#/components/responses/Error" },
            "5XX": { "$ref": "#/components/responses/Error" },
        },
        "security": security(route, policy),
    });
    let body = match &route.body {
        BodyRule::None => None,
        // The fields the path sets are not the body's to give.
        BodyRule::Whole if !bound.is_empty() => Some(body_without(&input, &bound, schemas)),
        BodyRule::Whole => Some(schemas.reference(&input)),
        BodyRule::Field(field) => match field.kind() {
            Kind::Message(message) => Some(schemas.reference(&message)),
            _ => None,
        },
    };
    if let (Some(schema), Some(object)) = (body, operation.as_object_mut()) {
        object.insert(
            "requestBody".to_owned(),
            json!({
                "required": false,
                "content": { "application/json": { "schema": schema } },
            }),
        );
    }
    operation
}

/// The schema of `message` less the fields in `bound`, inline.
fn body_without(
    message: &MessageDescriptor,
    bound: &[FieldDescriptor],
    schemas: &mut Schemas,
) -> Value {
    let mut properties = Map::new();
    for field in message.fields().filter(|f| !bound.contains(f)) {
        let mut schema = schemas.of_field(&field);
        if let Some(text) = field_comment(&field) {
            schema = with_description(schema, text);
        }
        properties.insert(field.json_name().to_owned(), schema);
    }
    json!({
        "type": "object",
        "description": format!("{}, less the fields the path sets.", message.full_name()),
        "properties": properties,
    })
}

/// The successful answer: the output message as JSON, or for a method
/// that answers with a stream, server-sent events of it.
fn answer(method: &MethodDescriptor, schemas: &mut Schemas) -> Value {
    let output = method.output();
    let schema = schemas.reference(&output);
    if method.is_server_streaming() {
        json!({
            "description": format!(
                "Server-sent events: one `data:` line per {} (as the {} schema), \
                 until the stream ends; a failure after the first ends it with \
                 `event: error` and the error body as data.",
                output.name(),
                output.full_name()
            ),
            // Before 3.2's `itemSchema`, an event stream's `schema` describes
            // one event (as tools such as Schemathesis read it): its fields,
            // with the JSON in `data` described by JSON Schema's
            // `contentSchema`.
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "description": "One server-sent event.",
                        "properties": {
                            "event": {
                                "type": "string",
                                "description": "Absent for a message; `error` for the failure that ends the stream.",
                            },
                            "data": {
                                "type": "string",
                                "contentMediaType": "application/json",
                                "contentSchema": {
                                    "anyOf": [schema, { "$ref": "#/components/schemas/Error" }],
                                },
                            },
                        },
                        "required": ["data"],
                    },
                },
            },
        })
    } else {
        json!({
            "description": format!("The {}.", output.name()),
            "content": { "application/json": { "schema": schema } },
        })
    }
}

/// Anyone may call a public method (a token, if sent, is used); any other
/// needs one.
fn security(route: &Route, policy: &Policy) -> Value {
    match policy.access(&route.grpc_path()) {
        Some(Access::Public) => json!([{}, { "bearer": [] }]),
        Some(Access::Only(_)) | None => json!([{ "bearer": [] }]),
    }
}

/// Whether a field can be given as a query parameter: a scalar, an enum, a
/// message with a string form, or a list of those.
fn fits_a_query(field: &FieldDescriptor) -> bool {
    match field.kind() {
        Kind::Message(message) => !field.is_map() && well_known(&message).is_some(),
        Kind::Bytes => false,
        _ => !field.is_map(),
    }
}

/// The proto3 JSON schema of a well-known type, if `message` is one.
fn well_known(message: &MessageDescriptor) -> Option<Value> {
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
        "google.protobuf.Duration" => {
            json!({"type": "string", "description": "Seconds with an `s` suffix, e.g. `1.5s`."})
        }
        "google.protobuf.FieldMask" => json!({
            "type": "string",
            "description": "Comma-separated field paths in lowerCamelCase, e.g. `name,price`.",
        }),
        "google.protobuf.Empty" | "google.protobuf.Struct" => json!({"type": "object"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.StringValue" => json!({"type": "string"}),
        "google.protobuf.BytesValue" => json!({"type": "string", "format": "byte"}),
        "google.protobuf.BoolValue" => json!({"type": "boolean"}),
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({"type": "integer"})
        }
        "google.protobuf.Int64Value" => int64_string(true),
        "google.protobuf.UInt64Value" => int64_string(false),
        "google.protobuf.FloatValue" | "google.protobuf.DoubleValue" => {
            json!({"type": "number"})
        }
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": { "@type": { "type": "string" } },
            "additionalProperties": true,
        }),
        _ => return None,
    })
}

/// The schemas of the messages and enums referred to so far.
#[derive(Default)]
struct Schemas {
    messages: BTreeSet<String>,
    pending: VecDeque<MessageDescriptor>,
    done: BTreeMap<String, Value>,
}

impl Schemas {
    /// A `$ref` to `message`'s schema (inline for a well-known type).
    fn reference(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known(message) {
            return schema;
        }
        if self.messages.insert(message.full_name().to_owned()) {
            self.pending.push_back(message.clone());
        }
        json!({ "$ref": format!("#/components/schemas/{}", message.full_name()) })
    }

    fn enumeration(&mut self, enumeration: &EnumDescriptor) -> Value {
        let name = enumeration.full_name().to_owned();
        if !self.done.contains_key(&name) {
            let values: Vec<String> = enumeration.values().map(|v| v.name().to_owned()).collect();
            let mut schema = json!({ "type": "string", "enum": values });
            if let Some(text) = comment(&enumeration.parent_file(), enumeration.path()) {
                schema["description"] = Value::String(text);
            }
            self.done.insert(name.clone(), schema);
        }
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// The schema of one value of `field` (an item, if repeated).
    fn of_kind(&mut self, field: &FieldDescriptor) -> Value {
        match field.kind() {
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => json!({"type": "string", "format": "byte"}),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({"type": "integer", "format": "int32"})
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({"type": "integer", "format": "int64", "minimum": 0})
            }
            // proto3 JSON writes 64-bit integers as strings (JavaScript's
            // numbers cannot hold them).
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => int64_string(true),
            Kind::Uint64 | Kind::Fixed64 => int64_string(false),
            Kind::Float => json!({"type": "number", "format": "float"}),
            Kind::Double => json!({"type": "number", "format": "double"}),
            Kind::Enum(enumeration) => self.enumeration(&enumeration),
            Kind::Message(message) => self.reference(&message),
        }
    }

    fn of_field(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map()
            && let Kind::Message(entry) = field.kind()
        {
            let value = entry.map_entry_value_field();
            return json!({ "type": "object", "additionalProperties": self.of_kind(&value) });
        }
        let item = self.of_kind(field);
        if field.is_list() {
            json!({ "type": "array", "items": item })
        } else {
            item
        }
    }

    /// Every schema referred to, each message's fields resolved in turn.
    fn finish(mut self) -> Map<String, Value> {
        while let Some(message) = self.pending.pop_front() {
            let mut properties = Map::new();
            for field in message.fields() {
                let mut schema = self.of_field(&field);
                if let Some(text) = field_comment(&field) {
                    schema = with_description(schema, text);
                }
                properties.insert(field.json_name().to_owned(), schema);
            }
            let mut description = comment(&message.parent_file(), message.path())
                .unwrap_or_else(|| message.full_name().to_owned());
            for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
                let names: Vec<String> = oneof
                    .fields()
                    .map(|f| format!("`{}`", f.json_name()))
                    .collect();
                let _ = write!(
                    description,
                    "\n\nAt most one of {} is set (oneof `{}`).",
                    names.join(", "),
                    oneof.name()
                );
            }
            self.done.insert(
                message.full_name().to_owned(),
                json!({ "type": "object", "description": description, "properties": properties }),
            );
        }
        self.done.into_iter().collect()
    }
}

/// `schema` with a description beside it (OpenAPI 3.1 allows one next to
/// a `$ref`).
fn with_description(mut schema: Value, text: String) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert("description".to_owned(), Value::String(text));
    }
    schema
}

/// The AIP-193 error body.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "An error, as AIP-193 writes it.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "status"],
                "properties": {
                    "code": { "type": "integer", "description": "The HTTP status." },
                    "message": { "type": "string", "description": "What went wrong, for a developer." },
                    "status": { "type": "string", "description": "The gRPC code's name, e.g. NOT_FOUND." },
                    "details": {
                        "type": "array",
                        "description": "google.rpc error details (BadRequest, ErrorInfo, RetryInfo, ...), each named by `@type`.",
                        "items": {
                            "type": "object",
                            "properties": { "@type": { "type": "string" } },
                            "additionalProperties": true,
                        },
                    },
                },
            },
        },
    })
}

fn method_comment(method: &MethodDescriptor) -> Option<String> {
    comment(&method.parent_file(), method.path())
}

fn field_comment(field: &FieldDescriptor) -> Option<String> {
    comment(&field.parent_file(), field.path())
}

/// The leading comment of the element at `path` in `file`, one paragraph.
fn comment(file: &FileDescriptor, path: &[i32]) -> Option<String> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let location = info.location.iter().find(|l| l.path == path)?;
    let text = location.leading_comments.as_deref()?;
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// A 64-bit integer as proto3 JSON writes it: a string of decimal digits
/// (JavaScript's numbers cannot hold every value). The pattern tells
/// generated clients and fuzzers what a well-formed one looks like.
fn int64_string(signed: bool) -> Value {
    let pattern = if signed { "^-?[0-9]+$" } else { "^[0-9]+$" };
    json!({"type": "string", "format": "int64", "pattern": pattern})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        let rest = crate::rest::Rest::new(&crate::routes::policy()).expect("REST");
        serde_json::from_slice(rest.openapi()).expect("JSON")
    }

    #[test]
    fn routes_of_one_shape_share_a_path_and_say_which_field_their_variable_sets() {
        let document = document();
        let product = &document["paths"]["/v1/products/{id}"];

        assert_eq!(product["get"]["operationId"], "CatalogService_GetProduct");
        assert_eq!(
            product["patch"]["operationId"],
            "CatalogService_UpdateProduct"
        );
        let parameter = &product["patch"]["parameters"][0];
        assert_eq!(parameter["name"], "id");
        assert!(
            parameter["description"]
                .as_str()
                .is_some_and(|d| d.starts_with("Sets `product.id`.")),
            "{parameter}"
        );
        assert!(document["paths"].get("/v1/products/{product.id}").is_none());
    }

    #[test]
    fn schemas_follow_the_proto3_json_mapping_and_carry_the_comments() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        let money = &schemas["shop.common.v1.Money"]["properties"];

        assert_eq!(money["amountMinor"]["type"], "string", "int64 is a string");
        assert!(money["currencyCode"]["description"].is_string());
        assert_eq!(schemas["shop.orders.v1.OrderStatus"]["type"], "string");
        assert!(
            schemas["shop.common.v1.PaymentMethod"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("At most one of `card`, `wallet`")),
            "{}",
            schemas["shop.common.v1.PaymentMethod"]
        );
        let list = &document["paths"]["/v1/products"]["get"];
        let query: Vec<&str> = list["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            query,
            ["pageSize", "pageToken", "category", "query", "orderBy"]
        );
        assert_eq!(list["security"], json!([{}, { "bearer": [] }]), "public");
        assert_eq!(
            document["paths"]["/v1/orders"]["post"]["security"],
            json!([{ "bearer": [] }])
        );
    }

    #[test]
    fn a_path_parameter_is_named_without_dots() {
        let document = document();
        let paths = document["paths"].as_object().expect("paths");
        let dotted: Vec<&String> = paths
            .keys()
            .filter(|path| variable_names(path).iter().any(|name| name.contains('.')))
            .collect();
        assert!(dotted.is_empty(), "{dotted:?}");
        let address = &paths["/v1/addresses/{saved_address_id}"];
        assert_eq!(
            address["delete"]["parameters"][0]["name"],
            "saved_address_id"
        );
        assert_eq!(
            address["patch"]["parameters"][0]["name"],
            "saved_address_id"
        );
    }

    #[test]
    fn a_whole_body_leaves_out_the_fields_its_path_sets() {
        let document = document();
        let cancel = &document["paths"]["/v1/orders/{id}:cancel"]["post"];
        let body = &cancel["requestBody"]["content"]["application/json"]["schema"];

        let properties: Vec<&String> = body["properties"]
            .as_object()
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        assert_eq!(properties, ["reason"]);
        assert_eq!(
            document["paths"]["/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/shop.orders.v1.CreateOrderRequest"
        );
    }

    #[test]
    fn an_event_stream_describes_one_event_with_its_data_as_the_output_message() {
        let document = document();
        let watch = &document["paths"]["/v1/orders/{id}:watch"]["get"]["responses"]["200"];
        let event = &watch["content"]["text/event-stream"]["schema"];

        assert_eq!(event["type"], "object");
        assert_eq!(event["required"], json!(["data"]));
        let data = &event["properties"]["data"];
        assert_eq!(data["type"], "string");
        assert_eq!(data["contentMediaType"], "application/json");
        assert_eq!(
            data["contentSchema"]["anyOf"],
            json!([
                { "$ref": "#/components/schemas/shop.orders.v1.OrderEvent" },
                { "$ref": "#/components/schemas/Error" },
            ])
        );
    }
}
