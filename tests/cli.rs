//! The `shop` binary's messages to the person at the terminal: a refused
//! password says which rule, a directory without a shop is not silently
//! filled with new keys, a taken port names the flag that moves it, and a
//! damaged database is reported before any welcome.

use std::{
    net::TcpListener,
    path::Path,
    process::{Command, Output},
};

fn shop(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shop"))
        .env_remove("SHOP_DATA_DIR")
        .env_remove("ADMIN_PASSWORD")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("the shop binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every service of the all-in-one on a free loopback port, so a test
/// never meets another test's (or a running shop's) ports.
fn all_on_free_ports() -> Vec<String> {
    let mut args = vec!["--metrics-listen".to_owned(), "127.0.0.1:0".to_owned()];
    for service in shop::listed::services() {
        if service.name == "gateway" {
            continue;
        }
        args.push("--listen".to_owned());
        args.push(format!("{}=127.0.0.1:0", service.name));
    }
    args
}

#[test]
fn token_refuses_a_directory_that_holds_no_shop_and_names_it() {
    let empty = tempfile::tempdir().expect("temp dir");
    let missing = empty.path().join("no-such-shop");

    let output = shop(&missing, &["token", "--user", "alice"]);

    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no shop data in"), "{stderr}");
    assert!(stderr.contains("no-such-shop"), "{stderr}");
    assert!(stderr.contains("--init"), "{stderr}");
    assert!(!missing.exists(), "nothing was created");
    assert!(output.stdout.is_empty(), "no token was printed");
}

#[test]
fn token_with_init_creates_the_keys_and_says_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");

    let output = shop(&data, &["token", "--user", "alice", "--init"]);

    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("shop: data directory "));
    assert_eq!(text(&output.stdout).trim().split('.').count(), 3, "a JWT");
    // Now the directory holds a shop: no --init needed.
    let again = shop(&data, &["token", "--user", "bob"]);
    assert!(again.status.success(), "{}", text(&again.stderr));
}

#[test]
fn admin_with_a_short_password_says_which_rule_it_breaks() {
    let dir = tempfile::tempdir().expect("temp dir");

    let output = shop(
        dir.path(),
        &[
            "admin",
            "--email",
            "owner@example.com",
            "--password",
            "short",
            "--init",
        ],
    );

    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("admin password"), "{stderr}");
    assert!(
        stderr.contains("10"),
        "the policy's length is named: {stderr}"
    );
    assert!(
        !stderr.contains("short"),
        "the password is not echoed: {stderr}"
    );
}

#[test]
fn admin_creates_an_admin_in_an_existing_shop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = shop(
        dir.path(),
        &[
            "admin",
            "--email",
            "owner@example.com",
            "--password",
            "a-long-passphrase",
            "--init",
        ],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).starts_with("owner@example.com is an admin"));
}

#[test]
fn a_taken_gateway_port_names_the_flag_that_moves_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("address").to_string();
    let mut args = all_on_free_ports();
    args.extend(["--gateway-listen".to_owned(), address.clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = shop(dir.path(), &args);

    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&address), "{stderr}");
    assert!(stderr.contains("--gateway-listen"), "{stderr}");
    assert!(!text(&output.stdout).contains("is starting"));
}

#[test]
fn a_damaged_database_is_reported_before_the_welcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("catalog.db"),
        b"this is not a database, only some text that is long enough to matter",
    )
    .expect("write");
    let mut args = all_on_free_ports();
    args.extend(["--gateway-listen".to_owned(), "127.0.0.1:0".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let output = shop(dir.path(), &args);

    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("catalog.db"), "{stderr}");
    assert!(stderr.contains("move the file away"), "{stderr}");
    assert!(
        !text(&output.stdout).contains("is starting"),
        "no welcome before the error"
    );
}
