//! The one list of services (the `services` file at the repository root,
//! which k8s, CI and the benchmark read too), as the all-in-one reads it:
//! which services there are, the port each listens on by default, and
//! `--listen NAME=ADDRESS` to move one.

use std::net::SocketAddr;

/// The `services` file, built in: the binary runs from anywhere.
const SERVICES: &str = include_str!("../services");

/// One line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub name: &'static str,
    pub port: u16,
    /// Whether the service has a database of its own.
    pub database: bool,
    /// Whether clients outside the shop reach it (the gateway).
    pub public: bool,
}

/// Every listed service, in the file's order.
pub fn services() -> Vec<Listed> {
    parse(SERVICES)
}

/// The listed service called `name`.
pub fn find(name: &str) -> Option<Listed> {
    services().into_iter().find(|s| s.name == name)
}

/// `NAME=ADDRESS` for `--listen`, NAME a listed service.
pub fn parse_listen(arg: &str) -> Result<(&'static str, SocketAddr), String> {
    let (name, address) = arg
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=ADDRESS, got {arg:?}"))?;
    let service = find(name).ok_or_else(|| {
        let names: Vec<_> = services().iter().map(|s| s.name).collect();
        format!(
            "no service called {name:?} (the services are {})",
            names.join(", ")
        )
    })?;
    let address = address
        .parse()
        .map_err(|e| format!("{address:?} is not an address: {e}"))?;
    Ok((service.name, address))
}

fn parse(text: &'static str) -> Vec<Listed> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&'static str> = line.split_whitespace().collect();
            // The file is part of the source; the test below reads it, so a
            // malformed line fails the build's tests, never a user's start.
            let [name, port, database, public] = fields[..] else {
                panic!("services: {line:?} is not `name port database public`");
            };
            Listed {
                name,
                port: port
                    .parse()
                    .unwrap_or_else(|_| panic!("services: bad port in {line:?}")),
                database: yes(database, line),
                public: yes(public, line),
            }
        })
        .collect()
}

fn yes(field: &str, line: &str) -> bool {
    match field {
        "yes" => true,
        "no" => false,
        _ => panic!("services: {field:?} in {line:?} is neither yes nor no"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_services_file_lists_each_service_once_with_its_own_port() {
        let services = services();
        assert!(services.iter().any(|s| s.name == "gateway" && s.public));
        for (i, service) in services.iter().enumerate() {
            for other in &services[i + 1..] {
                assert_ne!(service.name, other.name);
                assert_ne!(
                    service.port, other.port,
                    "{} and {}",
                    service.name, other.name
                );
            }
        }
    }

    #[test]
    fn listen_names_a_listed_service_and_an_address() {
        assert_eq!(
            parse_listen("catalog=127.0.0.1:6051"),
            Ok(("catalog", "127.0.0.1:6051".parse().expect("address")))
        );
        for (arg, why) in [
            ("basket=127.0.0.1:1", "no service called \"basket\""),
            ("catalog", "expected NAME=ADDRESS"),
            ("catalog=localhost", "is not an address"),
        ] {
            let refusal = parse_listen(arg).expect_err(arg);
            assert!(refusal.contains(why), "{arg}: {refusal}");
        }
    }

    #[test]
    #[should_panic(expected = "neither yes nor no")]
    fn a_malformed_line_is_refused() {
        parse("cart 50054 maybe no\n");
    }
}
