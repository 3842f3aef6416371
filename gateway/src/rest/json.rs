//! JSON in and out, by the proto3 JSON mapping (prost-reflect's): a REST
//! request's body, path variables and query parameters become the method's
//! request message; the answer message becomes JSON (lowerCamelCase names,
//! enums by name, 64-bit integers as strings, Timestamps in RFC 3339).
//!
//! serde's own error messages quote the offending value (`invalid type:
//! string "4242424242424242", expected ...`): a card number sent in the
//! wrong field would come back in the error and land in the logs. So no
//! parser message ever leaves this module: a body that does not parse is
//! described by our own words, the field's path and the position only.

use prost_reflect::{
    DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, SerializeOptions,
    Value,
};

use super::{
    errors::RestError,
    routes::{BodyRule, FieldPath, Route},
};

/// The request message of `route` from the path's variables, the query
/// string and the body.
pub fn request_message(
    route: &Route,
    variables: Vec<(FieldPath, String)>,
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage, RestError> {
    let input = route.method.input();
    let mut message = match &route.body {
        BodyRule::None if !is_blank(body) => return Err(RestError::UnexpectedBody),
        BodyRule::None => DynamicMessage::new(input.clone()),
        BodyRule::Whole => parse_body(&input, body, "")?,
        BodyRule::Field(field) => {
            let Kind::Message(of) = field.kind() else {
                return Err(RestError::UnexpectedBody);
            };
            let value = parse_body(&of, body, field.json_name())?;
            let mut message = DynamicMessage::new(input.clone());
            message.set_field(field, Value::Message(value));
            message
        }
    };
    for (path, value) in variables {
        set_text(&mut message, &path, &value, &path.dotted())?;
    }
    let mut unknown = Vec::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match query_field(route, &key) {
            Some(path) => set_text(&mut message, &path, &value, &shown(&key))?,
            None => unknown.push(shown(&key)),
        }
    }
    if unknown.is_empty() {
        Ok(message)
    } else {
        Err(RestError::UnknownQuery(unknown))
    }
}

fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// A message from a JSON body (an empty body is an empty message). `at` is
/// where the body sits in the request message, for the error's field path.
fn parse_body(
    descriptor: &MessageDescriptor,
    body: &[u8],
    at: &str,
) -> Result<DynamicMessage, RestError> {
    if is_blank(body) {
        return Ok(DynamicMessage::new(descriptor.clone()));
    }
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    let mut reader = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    let parsed = DynamicMessage::deserialize_with_options(
        descriptor.clone(),
        serde_path_to_error::Deserializer::new(&mut reader, &mut track),
        &options,
    )
    .and_then(|message| reader.end().map(|()| message));
    parsed.map_err(|error| {
        let path = track.path().to_string();
        let field = [at, path.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty() && *p != ".")
            .collect::<Vec<_>>()
            .join(".");
        unreadable(descriptor, &field, &error)
    })
}

/// Our words for a body serde could not read: where, and what kind of
/// fault, never serde's message (it quotes the value).
fn unreadable(descriptor: &MessageDescriptor, field: &str, error: &serde_json::Error) -> RestError {
    use serde_json::error::Category;
    let at = format!("line {} column {}", error.line(), error.column());
    let problem = match error.classify() {
        Category::Syntax | Category::Io => format!("is not valid JSON at {at}"),
        Category::Eof => format!("ends before the JSON does, at {at}"),
        Category::Data if field.is_empty() => {
            format!("does not fit the request message at {at}")
        }
        Category::Data if is_known_path(descriptor, field) => {
            format!("has a value of the wrong type or out of range at {at}")
        }
        Category::Data => format!("is not a field of the request, at {at}"),
    };
    let field = if field.is_empty() {
        "body".to_owned()
    } else {
        shown(field)
    };
    RestError::Unreadable { field, problem }
}

/// Whether `a.b[0].c` names fields all the way down from `descriptor`.
fn is_known_path(descriptor: &MessageDescriptor, path: &str) -> bool {
    let mut current = Some(descriptor.clone());
    for name in path.split('.') {
        let name = name.split('[').next().unwrap_or_default();
        let Some(message) = current.take() else {
            return false;
        };
        let Some(field) = find_field(&message, name) else {
            return false;
        };
        current = match field.kind() {
            Kind::Message(inner) => Some(inner),
            _ => None,
        };
    }
    true
}

/// A field by its proto name or its JSON name.
fn find_field(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_name(name)
        .or_else(|| message.get_field_by_json_name(name))
}

/// A client's name for something, safe to send back and log: field-name
/// characters only, and short.
fn shown(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
        .take(64)
        .collect()
}

/// The field a query parameter names (`page_size` or `pageSize`; nested
/// `a.b`): any field the path or the body does not already give.
fn query_field(route: &Route, key: &str) -> Option<FieldPath> {
    if matches!(route.body, BodyRule::Whole) {
        return None;
    }
    let mut fields = Vec::new();
    let mut current = route.method.input();
    let names: Vec<&str> = key.split('.').collect();
    for (i, name) in names.iter().enumerate() {
        let field = find_field(&current, name)?;
        if field.is_map() {
            return None;
        }
        let last = i + 1 == names.len();
        match field.kind() {
            Kind::Message(inner) if !last && !field.is_list() => current = inner,
            _ if !last => return None,
            _ => {}
        }
        fields.push(field);
    }
    let top = fields.first()?;
    let bound_by_body = matches!(&route.body, BodyRule::Field(body) if body == top);
    let bound_by_path = route
        .variables()
        .any(|path| path.top().is_some_and(|f| f == top));
    (!bound_by_body && !bound_by_path).then_some(FieldPath(fields))
}

/// Sets the field at `path` from URL text (a path variable or a query
/// parameter; `name` is what the client called it). Repeated fields
/// collect every occurrence.
fn set_text(
    message: &mut DynamicMessage,
    path: &FieldPath,
    text: &str,
    name: &str,
) -> Result<(), RestError> {
    let Some((last, parents)) = path.0.split_last() else {
        return Ok(());
    };
    let mut target = message;
    for parent in parents {
        let Value::Message(inner) = target.get_field_mut(parent) else {
            return Err(RestError::bad_parameter(name, "is not a message field"));
        };
        target = inner;
    }
    let value = scalar(last, text).map_err(|problem| RestError::bad_parameter(name, problem))?;
    if last.is_list() {
        if let Value::List(items) = target.get_field_mut(last) {
            items.push(value);
        }
    } else {
        target.set_field(last, value);
    }
    Ok(())
}

/// URL text as a value of `field`'s type, by the proto3 JSON mapping's
/// rules for strings (numbers in decimal, enums by name or number,
/// well-known messages by their string forms: Timestamp, FieldMask, ...).
fn scalar(field: &FieldDescriptor, text: &str) -> Result<Value, &'static str> {
    const NUMBER: &str = "is not a number of the field's type";
    Ok(match field.kind() {
        Kind::String => Value::String(text.to_owned()),
        Kind::Bool => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err("must be true or false"),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(text.parse().map_err(|_| NUMBER)?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(text.parse().map_err(|_| NUMBER)?)
        }
        Kind::Uint32 | Kind::Fixed32 => Value::U32(text.parse().map_err(|_| NUMBER)?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(text.parse().map_err(|_| NUMBER)?),
        Kind::Float => Value::F32(text.parse().map_err(|_| NUMBER)?),
        Kind::Double => Value::F64(text.parse().map_err(|_| NUMBER)?),
        Kind::Enum(enumeration) => {
            let value = enumeration
                .get_value_by_name(text)
                .or_else(|| text.parse().ok().and_then(|n| enumeration.get_value(n)))
                .ok_or("is not a value of the field's enum")?;
            Value::EnumNumber(value.number())
        }
        Kind::Message(message) => {
            let json = serde_json::Value::String(text.to_owned());
            DynamicMessage::deserialize(message, json)
                .map(Value::Message)
                .map_err(|_| "is not in the field's text form")?
        }
        Kind::Bytes => return Err("cannot be given in the URL"),
    })
}

/// The answer as proto3 JSON.
pub fn to_json(message: &DynamicMessage) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::Serializer::new(Vec::new());
    message.serialize_with_options(&mut out, &SerializeOptions::new())?;
    Ok(out.into_inner())
}

/// The message of type `descriptor` in protobuf `bytes` as JSON text, its
/// fields in their numbers' order (`id` first), or None if the bytes are
/// not one.
pub fn message_json(descriptor: MessageDescriptor, bytes: &[u8]) -> Option<Vec<u8>> {
    to_json(&DynamicMessage::decode(descriptor, bytes).ok()?).ok()
}

/// The same, as a JSON value (to put inside another).
pub fn decode_to_json(descriptor: MessageDescriptor, bytes: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(&message_json(descriptor, bytes)?).ok()
}
