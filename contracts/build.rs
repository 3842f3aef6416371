//! Generates the Rust API from `../proto` with protox (no system `protoc`)
//! and writes the encoded descriptor set that gRPC reflection serves.

use std::{
    env,
    path::{Path, PathBuf},
};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let mut files = Vec::new();
    collect_protos(&proto_root.join("shop"), &mut files)?;
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [&proto_root])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("shop_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Card numbers and CVCs must never reach a log line, not even by a
        // careless `{:?}`: `Card`'s Debug is written by hand (src/card.rs).
        .skip_debug([".shop.common.v1.Card"])
        // One file that nests every package (`shop::catalog::v1`, ...), so a
        // new proto package needs no line in src/lib.rs.
        .include_file("shop.rs")
        .compile_fds(descriptors)?;
    Ok(())
}

/// Every `.proto` below `dir`, so a new file needs no change here.
fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
