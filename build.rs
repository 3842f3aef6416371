//! The `shop` package's build script, with one job: warn when the
//! storefront the gateway embeds (`web/dist`) was not built from the `web/`
//! sources as they are now. `npm run build` records what it built from in
//! `web/dist-sources.sha256` (sha256sum format: a hash and a path relative
//! to `web/` per line); this compares that with the files, and cargo runs
//! it again only when one of them changes.

use std::{collections::BTreeSet, fs, path::Path};

use sha2::{Digest, Sha256};

const WEB: &str = "web";
const STAMP: &str = "web/dist-sources.sha256";
/// Where a file new since the build would be, unrecorded.
const SOURCES: &str = "src";

fn main() {
    println!("cargo:rerun-if-changed={STAMP}");
    println!("cargo:rerun-if-changed={WEB}/{SOURCES}");
    // A source tree without the storefront (a vendored copy): nothing to check.
    let Ok(stamp) = fs::read_to_string(STAMP) else {
        return;
    };
    let mut recorded = BTreeSet::new();
    let mut changed = Vec::new();
    for line in stamp.lines() {
        let Some((hash, path)) = line.split_once("  ") else {
            continue;
        };
        println!("cargo:rerun-if-changed={WEB}/{path}");
        let now = fs::read(Path::new(WEB).join(path))
            .map(|bytes| format!("{:x}", Sha256::digest(bytes)))
            .unwrap_or_default();
        if now != hash {
            changed.push(path.to_owned());
        }
        recorded.insert(path.to_owned());
    }
    let mut present = Vec::new();
    files_under(Path::new(WEB), SOURCES, &mut present);
    changed.extend(present.into_iter().filter(|p| !recorded.contains(p)));
    if !changed.is_empty() {
        println!(
            "cargo:warning=web/dist is out of date ({} changed since its build): \
             run `npm run build` in web/ and commit the result",
            changed.join(", ")
        );
    }
}

/// The files under `web/dir`, as paths relative to `web`, with `/`.
fn files_under(web: &Path, dir: &str, out: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(web.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let path = format!("{dir}/{}", entry.file_name().to_string_lossy());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files_under(web, &path, out);
        } else {
            out.push(path);
        }
    }
}
