//! Generates the Rust API from `../proto` with protox (no system `protoc`)
//! and writes the encoded descriptor set that gRPC reflection serves and
//! the gateway's REST transcoding reads (with the `google.api.http`
//! options and the proto comments).

use std::{
    env,
    path::{Path, PathBuf},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let mut files = Vec::new();
    collect_protos(&proto_root.join("shop"), &mut files)?;
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true);
    compiler.open_files(&files)?;
    // The code is generated without the comments (they would become doc
    // comments, and doc tests of any indented text in them).
    let mut descriptors = compiler.file_descriptor_set();
    // `google.api` only annotates (HTTP rules, read from the descriptors
    // at run time): no Rust types for it.
    descriptors
        .file
        .retain(|file| !file.name().starts_with("google/api/"));
    // Encoded by the compiler itself, not from `descriptors`: prost's
    // `MethodOptions` has no field for extensions, so re-encoding it would
    // drop every `google.api.http` rule. The comments go in too: the
    // gateway's OpenAPI document and reflection's clients show them.
    compiler.include_source_info(true);
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("shop_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
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
