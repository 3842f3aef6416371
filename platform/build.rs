//! Build metadata for `--version` and `shop_build_info`: the git commit
//! this binary was built from (or "unknown" outside a git checkout).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
    println!("cargo:rerun-if-env-changed=SHOP_GIT_COMMIT");
    let commit = std::env::var("SHOP_GIT_COMMIT").ok().or_else(|| {
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    });
    println!(
        "cargo:rustc-env=SHOP_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}
