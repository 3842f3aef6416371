//! The REST route table: each routed method's `google.api.http` rule (verb,
//! path template with `{field}` / `{a.b}` variables and an optional
//! `:customVerb`, and which part of the request the body is), read from the
//! contract's descriptors at start. Only methods of the access table get a
//! route, so REST serves exactly what gRPC serves. Two rules that would
//! match the same requests are a start-up error, not a first-come choice.

use std::fmt;

use http::Method;
use platform::auth::Policy;
use prost_reflect::{DescriptorPool, FieldDescriptor, Kind, MethodDescriptor, Value};

/// The extension that carries the rules (`google/api/annotations.proto`).
pub const HTTP_RULE: &str = "google.api.http";

/// Why the rules in the contract cannot make a route table.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("the descriptors have no {HTTP_RULE} extension")]
    NoExtension,
    #[error("{method}: {problem}")]
    Rule { method: String, problem: String },
    #[error("{first} and {second} both match {verb} {template}")]
    Conflict {
        first: String,
        second: String,
        verb: Method,
        template: String,
    },
}

/// One segment of a path template.
#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    /// A variable: the path of fields (from the request message) it sets.
    Variable(FieldPath),
}

/// A chain of fields from the request message down (`product.id`).
#[derive(Debug, Clone)]
pub struct FieldPath(pub Vec<FieldDescriptor>);

impl FieldPath {
    /// The proto names joined by dots, as in the template.
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(FieldDescriptor::name).collect();
        names.join(".")
    }

    /// The top-level field of the request this path starts at.
    pub fn top(&self) -> Option<&FieldDescriptor> {
        self.0.first()
    }
}

/// Which part of the request message the HTTP body is.
#[derive(Debug, Clone)]
pub enum BodyRule {
    /// No body: every field comes from the path or the query.
    None,
    /// `body: "*"`: the whole message (less the path's fields).
    Whole,
    /// `body: "product"`: that one field, a message.
    Field(FieldDescriptor),
}

/// A method's route.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: MethodDescriptor,
    pub verb: Method,
    /// The template as written in the contract, `/v1/products/{product.id}`.
    pub template: String,
    segments: Vec<Segment>,
    custom_verb: Option<String>,
    pub body: BodyRule,
}

impl Route {
    /// The gRPC path of the method, `/shop.catalog.v1.CatalogService/GetProduct`.
    pub fn grpc_path(&self) -> String {
        format!(
            "/{}/{}",
            self.method.parent_service().full_name(),
            self.method.name()
        )
    }

    /// The template's variables, in order.
    pub fn variables(&self) -> impl Iterator<Item = &FieldPath> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Variable(path) => Some(path),
            Segment::Literal(_) => None,
        })
    }

    /// The variables' values if `path` matches, each percent-decoded.
    fn matches(&self, path: &RequestPath) -> Option<Vec<(FieldPath, String)>> {
        if path.custom_verb != self.custom_verb.as_deref()
            || path.segments.len() != self.segments.len()
        {
            return None;
        }
        let mut values = Vec::new();
        for (segment, given) in self.segments.iter().zip(&path.segments) {
            match segment {
                Segment::Literal(literal) if literal == given => {}
                Segment::Literal(_) => return None,
                Segment::Variable(field) => {
                    let value = percent_encoding::percent_decode_str(given)
                        .decode_utf8()
                        .ok()?;
                    if value.is_empty() {
                        return None;
                    }
                    values.push((field.clone(), value.into_owned()));
                }
            }
        }
        Some(values)
    }

    /// How many literal segments: the more specific route wins a match.
    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }

    /// Whether both routes would match some same request.
    fn overlaps(&self, other: &Route) -> bool {
        self.verb == other.verb
            && self.custom_verb == other.custom_verb
            && self.segments.len() == other.segments.len()
            && self
                .segments
                .iter()
                .zip(&other.segments)
                .all(|pair| match pair {
                    (Segment::Literal(a), Segment::Literal(b)) => a == b,
                    (Segment::Variable(_), Segment::Variable(_)) => true,
                    // A literal beats a variable, so these never tie.
                    _ => false,
                })
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.template)
    }
}

/// A request's path, split as templates are.
struct RequestPath<'a> {
    segments: Vec<&'a str>,
    custom_verb: Option<&'a str>,
}

impl<'a> RequestPath<'a> {
    fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix('/')?;
        let mut segments: Vec<&str> = rest.split('/').collect();
        let last = segments.pop()?;
        let (last, custom_verb) = match last.split_once(':') {
            Some((last, verb)) => (last, Some(verb)),
            None => (last, None),
        };
        segments.push(last);
        Some(Self {
            segments,
            custom_verb,
        })
    }
}

/// What a request's method and path find in the table.
pub enum Found<'a> {
    Route(&'a Route, Vec<(FieldPath, String)>),
    /// The path exists, with other verbs (for `Allow`).
    OtherVerbs(Vec<Method>),
    NotFound,
}

/// Every route, built from the descriptors.
#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// A route for each method of `policy` whose descriptor in `pool` has
    /// an HTTP rule.
    pub fn build(pool: &DescriptorPool, policy: &Policy) -> Result<Self, RouteError> {
        let extension = pool
            .get_extension_by_name(HTTP_RULE)
            .ok_or(RouteError::NoExtension)?;
        let mut routes: Vec<Route> = Vec::new();
        for service in pool.services() {
            for method in service.methods() {
                let grpc_path = format!("/{}/{}", service.full_name(), method.name());
                if policy.access(&grpc_path).is_none() {
                    continue;
                }
                let options = method.options();
                if !options.has_extension(&extension) {
                    continue;
                }
                let Value::Message(rule) = options.get_extension(&extension).into_owned() else {
                    continue;
                };
                let route = parse_rule(&method, &rule).map_err(|problem| RouteError::Rule {
                    method: method.full_name().to_owned(),
                    problem,
                })?;
                add(&mut routes, route)?;
            }
        }
        Ok(Self { routes })
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The route for `verb` and `path`, the most specific when several match.
    pub fn find(&self, verb: &Method, path: &str) -> Found<'_> {
        let Some(path) = RequestPath::parse(path) else {
            return Found::NotFound;
        };
        let mut best: Option<(&Route, Vec<(FieldPath, String)>)> = None;
        let mut verbs = Vec::new();
        for route in &self.routes {
            let Some(values) = route.matches(&path) else {
                continue;
            };
            if route.verb != *verb {
                if !verbs.contains(&route.verb) {
                    verbs.push(route.verb.clone());
                }
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(b, _)| route.literals() > b.literals())
            {
                best = Some((route, values));
            }
        }
        match best {
            Some((route, values)) => Found::Route(route, values),
            None if verbs.is_empty() => Found::NotFound,
            None => Found::OtherVerbs(verbs),
        }
    }
}

/// Adds `route`, unless it would match requests a route already does.
fn add(routes: &mut Vec<Route>, route: Route) -> Result<(), RouteError> {
    if let Some(clash) = routes.iter().find(|r| r.overlaps(&route)) {
        return Err(RouteError::Conflict {
            first: clash.method.full_name().to_owned(),
            second: route.method.full_name().to_owned(),
            verb: route.verb.clone(),
            template: route.template.clone(),
        });
    }
    routes.push(route);
    Ok(())
}

/// The route of `method` from its `google.api.http` rule.
fn parse_rule(
    method: &MethodDescriptor,
    rule: &prost_reflect::DynamicMessage,
) -> Result<Route, String> {
    let text = |name: &str| -> String {
        rule.get_field_by_name(name)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let (verb, template) = [
        (Method::GET, "get"),
        (Method::PUT, "put"),
        (Method::POST, "post"),
        (Method::DELETE, "delete"),
        (Method::PATCH, "patch"),
    ]
    .into_iter()
    .find_map(|(verb, name)| rule.has_field_by_name(name).then(|| (verb, text(name))))
    .ok_or("the rule names no verb (custom verbs are not served)")?;
    // Parts of the rule this transcoder does not honour: refused at start
    // rather than silently ignored.
    if !text("response_body").is_empty() {
        return Err("response_body is not served".to_owned());
    }
    if rule
        .get_field_by_name("additional_bindings")
        .is_some_and(|v| v.as_list().is_some_and(|list| !list.is_empty()))
    {
        return Err("additional_bindings are not served".to_owned());
    }
    let input = method.input();
    let (path, custom_verb) = split_custom_verb(&template)?;
    let mut segments = Vec::new();
    for segment in path
        .strip_prefix('/')
        .ok_or("the template must start with '/'")?
        .split('/')
    {
        if let Some(variable) = segment.strip_prefix('{') {
            let variable = variable
                .strip_suffix('}')
                .ok_or("a variable must be one whole segment")?;
            let (name, pattern) = variable.split_once('=').unwrap_or((variable, "*"));
            if pattern != "*" {
                return Err(format!("variable pattern {pattern:?} is not served"));
            }
            segments.push(Segment::Variable(field_path(&input, name)?));
        } else if segment.is_empty() || segment.contains(['{', '}', '*']) {
            return Err(format!("segment {segment:?} is not served"));
        } else {
            segments.push(Segment::Literal(segment.to_owned()));
        }
    }
    let body = match text("body").as_str() {
        "" => BodyRule::None,
        "*" => BodyRule::Whole,
        name => {
            let field = input
                .get_field_by_name(name)
                .ok_or(format!("body field {name:?} does not exist"))?;
            if !matches!(field.kind(), Kind::Message(_)) || field.is_list() {
                return Err(format!("body field {name:?} must be a message"));
            }
            BodyRule::Field(field)
        }
    };
    let custom_verb = custom_verb.map(str::to_owned);
    Ok(Route {
        method: method.clone(),
        verb,
        template,
        segments,
        custom_verb,
        body,
    })
}

/// `/v1/orders/{id}:cancel` -> (`/v1/orders/{id}`, `cancel`).
fn split_custom_verb(template: &str) -> Result<(&str, Option<&str>), String> {
    let last = template.rsplit('/').next().unwrap_or_default();
    match last.rsplit_once(':') {
        Some((_, verb)) if !verb.contains(['}', '{']) => {
            if verb.is_empty() {
                return Err("empty custom verb".to_owned());
            }
            let cut = template.len() - verb.len() - 1;
            Ok((&template[..cut], Some(verb)))
        }
        _ => Ok((template, None)),
    }
}

/// The fields `a.b` names from `message` down: every one but the last a
/// singular message, the last a singular scalar or enum.
fn field_path(
    message: &prost_reflect::MessageDescriptor,
    dotted: &str,
) -> Result<FieldPath, String> {
    let mut fields = Vec::new();
    let mut current = message.clone();
    let names: Vec<&str> = dotted.split('.').collect();
    for (i, name) in names.iter().enumerate() {
        let field = current
            .get_field_by_name(name)
            .ok_or(format!("field {dotted:?} does not exist"))?;
        if field.is_list() || field.is_map() {
            return Err(format!("path field {dotted:?} is repeated"));
        }
        let last = i + 1 == names.len();
        match (field.kind(), last) {
            (Kind::Message(inner), false) => current = inner,
            (Kind::Message(_), true) => return Err(format!("path field {dotted:?} is a message")),
            (_, false) => return Err(format!("{name:?} in {dotted:?} is not a message")),
            (_, true) => {}
        }
        fields.push(field);
    }
    Ok(FieldPath(fields))
}

#[cfg(test)]
mod tests {
    use prost_reflect::DynamicMessage;

    use super::*;

    /// The route `rule` (`get: template`) would give the contract's `method`.
    fn route(method: &str, verb: &str, template: &str) -> Result<Route, String> {
        route_with(method, verb, template, None)
    }

    /// The same, with `response_body` set if given.
    fn route_with(
        method: &str,
        verb: &str,
        template: &str,
        response_body: Option<&str>,
    ) -> Result<Route, String> {
        let pool = crate::rest::descriptor_pool().expect("pool");
        let (service, name) = method.rsplit_once('.').expect("Service.Method");
        let method = pool
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == name))
            .expect("a method of the contract");
        let mut rule = DynamicMessage::new(
            pool.get_message_by_name("google.api.HttpRule")
                .expect("HttpRule"),
        );
        rule.set_field_by_name(verb, Value::String(template.to_owned()));
        if let Some(field) = response_body {
            rule.set_field_by_name("response_body", Value::String(field.to_owned()));
        }
        parse_rule(&method, &rule)
    }

    #[test]
    fn a_rule_part_the_transcoder_does_not_honour_refuses_start_up() {
        let refused = route_with(
            "shop.catalog.v1.CatalogService.GetProduct",
            "get",
            "/v1/products/{id}",
            Some("name"),
        );

        assert_eq!(
            refused.err().as_deref(),
            Some("response_body is not served")
        );
    }

    #[test]
    fn two_rules_matching_the_same_requests_refuse_start_up() {
        let mut routes = Vec::new();
        let get_product = route(
            "shop.catalog.v1.CatalogService.GetProduct",
            "get",
            "/v1/things/{id}",
        );
        add(&mut routes, get_product.expect("a route")).expect("the first is added");
        let get_order = route(
            "shop.orders.v1.OrderService.GetOrder",
            "get",
            "/v1/things/{id}",
        );

        let refused = add(&mut routes, get_order.expect("a route")).expect_err("a conflict");

        assert_eq!(
            refused.to_string(),
            "shop.catalog.v1.CatalogService.GetProduct and shop.orders.v1.OrderService.GetOrder \
             both match GET /v1/things/{id}"
        );
        let by_literal = route(
            "shop.orders.v1.OrderService.ListOrders",
            "get",
            "/v1/things/mine",
        );
        assert!(
            add(&mut routes, by_literal.expect("a route")).is_ok(),
            "a literal beats a variable"
        );
    }

    #[test]
    fn variables_must_name_singular_scalar_fields_of_the_request() {
        let nested = route(
            "shop.catalog.v1.CatalogService.UpdateProduct",
            "patch",
            "/v1/p/{product.id}",
        );
        assert!(nested.is_ok());
        for (template, problem) in [
            ("/v1/p/{nope}", "field \"nope\" does not exist"),
            ("/v1/p/{product}", "path field \"product\" is a message"),
            (
                "/v1/p/{product.id=**}",
                "variable pattern \"**\" is not served",
            ),
            ("v1/p", "the template must start with '/'"),
        ] {
            let refused = route(
                "shop.catalog.v1.CatalogService.UpdateProduct",
                "patch",
                template,
            );
            assert_eq!(refused.err().as_deref(), Some(problem), "{template}");
        }
    }

    #[test]
    fn custom_verbs_are_split_from_the_last_segment_only() {
        assert_eq!(
            split_custom_verb("/v1/orders/{id}:cancel"),
            Ok(("/v1/orders/{id}", Some("cancel")))
        );
        assert_eq!(
            split_custom_verb("/v1/auth:login"),
            Ok(("/v1/auth", Some("login")))
        );
        assert_eq!(
            split_custom_verb("/v1/orders/{id}"),
            Ok(("/v1/orders/{id}", None))
        );
    }

    #[test]
    fn request_paths_are_split_like_templates() {
        let path = RequestPath::parse("/v1/orders/o-1:cancel").expect("a path");
        assert_eq!(path.segments, ["v1", "orders", "o-1"]);
        assert_eq!(path.custom_verb, Some("cancel"));
        assert!(RequestPath::parse("v1/orders").is_none());
    }
}
