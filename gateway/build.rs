//! Rebuilds the gateway when the storefront's built files change (they are
//! embedded with `include_dir!`, which cannot tell cargo by itself).

fn main() {
    println!("cargo:rerun-if-changed=../web/dist");
    println!("cargo:rerun-if-changed=../web/dist/assets");
}
