//! Which build is running: the version and the git commit it came from.

/// The release version of the workspace.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the binary was built from (`unknown` outside a checkout;
/// set `SHOP_GIT_COMMIT` to override, as an image build without `.git` does).
pub const COMMIT: &str = env!("SHOP_GIT_COMMIT");

/// `VERSION (COMMIT)`, for `--version` and start-up banners.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SHOP_GIT_COMMIT"),
    ")"
);
