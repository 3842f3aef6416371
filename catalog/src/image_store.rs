//! Where images' bytes are kept, as configured: [`ImageStore`], and the
//! flags that choose it ([`ImageStoreArgs`]), which the catalog binary and
//! the all-in-one shop both take. The flags are checked here, each mistake
//! named by its flag; whether the bucket can be used is checked when the
//! catalog starts.

use crate::store::{S3Config, S3Credentials};

/// Where images' bytes are kept.
#[derive(Clone, Debug, Default)]
pub enum ImageStore {
    /// In the catalog's own database: nothing else to run; every replica
    /// shares it.
    #[default]
    Database,
    /// In a bucket of S3 or an S3-compatible server: the database keeps
    /// only what describes the images.
    S3(S3Config),
}

/// The `--image-store` choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageStoreKind {
    /// The catalog's database.
    Db,
    /// A bucket of S3 or an S3-compatible server (--images-s3-*).
    S3,
}

/// The flags (with environment fallbacks) that choose the image store.
/// Credentials are the standard AWS environment's (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, a web identity, the
/// container's or the instance's role), never flags.
#[derive(clap::Args, Clone, Debug)]
pub struct ImageStoreArgs {
    /// Where product images' bytes are kept: `db` (the catalog's database)
    /// or `s3` (a bucket: --images-s3-bucket).
    #[arg(long, env = "IMAGE_STORE", value_enum, default_value_t = ImageStoreKind::Db)]
    pub image_store: ImageStoreKind,

    /// The bucket of the images (with --image-store s3).
    #[arg(long, env = "IMAGES_S3_BUCKET")]
    pub images_s3_bucket: Option<String>,

    /// An S3-compatible server's URL, e.g. `http://127.0.0.1:9000`
    /// (default: AWS, at the region's endpoint).
    #[arg(long, env = "IMAGES_S3_ENDPOINT")]
    pub images_s3_endpoint: Option<String>,

    /// The bucket's region (default: AWS_REGION or AWS_DEFAULT_REGION, else
    /// us-east-1).
    #[arg(long, env = "IMAGES_S3_REGION")]
    pub images_s3_region: Option<String>,

    /// Name the objects PREFIX/KEY, to share a bucket (default: at the
    /// bucket's top).
    #[arg(long, env = "IMAGES_S3_PREFIX")]
    pub images_s3_prefix: Option<String>,

    /// Name the bucket in the host (BUCKET.s3.REGION.amazonaws.com) rather
    /// than the path (s3.REGION.amazonaws.com/BUCKET, which every
    /// S3-compatible server takes); with --images-s3-endpoint, that URL
    /// must then be the bucket's own.
    #[arg(long, env = "IMAGES_S3_VIRTUAL_HOSTED_STYLE")]
    pub images_s3_virtual_hosted_style: bool,
}

/// A flag of the image store that is missing, or does not hold what it
/// should.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImageStoreFlagError(String);

impl ImageStoreArgs {
    /// The image store the flags describe.
    pub fn config(&self) -> Result<ImageStore, ImageStoreFlagError> {
        let bad = |message: String| Err(ImageStoreFlagError(message));
        if self.image_store == ImageStoreKind::Db {
            let given = [
                ("--images-s3-bucket", self.images_s3_bucket.is_some()),
                ("--images-s3-endpoint", self.images_s3_endpoint.is_some()),
                ("--images-s3-region", self.images_s3_region.is_some()),
                ("--images-s3-prefix", self.images_s3_prefix.is_some()),
                (
                    "--images-s3-virtual-hosted-style",
                    self.images_s3_virtual_hosted_style,
                ),
            ];
            if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
                // Someone meant the images to go to S3: say so, rather than
                // keep them in the database unnoticed.
                return bad(format!(
                    "{flag} is set but images are kept in the database; add --image-store s3 \
                     (IMAGE_STORE=s3) to keep them in S3"
                ));
            }
            return Ok(ImageStore::Database);
        }
        let Some(bucket) = &self.images_s3_bucket else {
            return bad(
                "--image-store s3 needs the bucket: --images-s3-bucket (IMAGES_S3_BUCKET)".into(),
            );
        };
        if let Err(why) = check_bucket(bucket) {
            return bad(format!("--images-s3-bucket {bucket:?} {why}"));
        }
        if let Some(endpoint) = &self.images_s3_endpoint
            && let Err(why) = check_endpoint(endpoint)
        {
            return bad(format!("--images-s3-endpoint {endpoint:?} {why}"));
        }
        if let Some(region) = &self.images_s3_region
            && let Err(why) = check_region(region)
        {
            return bad(format!("--images-s3-region {region:?} {why}"));
        }
        if let Some(prefix) = &self.images_s3_prefix
            && let Err(why) = check_prefix(prefix)
        {
            return bad(format!("--images-s3-prefix {prefix:?} {why}"));
        }
        Ok(ImageStore::S3(S3Config {
            bucket: bucket.clone(),
            endpoint: self.images_s3_endpoint.clone(),
            region: self.images_s3_region.clone(),
            prefix: self.images_s3_prefix.clone(),
            virtual_hosted_style: self.images_s3_virtual_hosted_style,
            credentials: S3Credentials::Environment,
        }))
    }
}

/// S3's rules for bucket names (which S3-compatible servers follow).
fn check_bucket(bucket: &str) -> Result<(), &'static str> {
    let alphanumeric =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&bucket.len()) {
        Err("must be 3 to 63 characters long")
    } else if !bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        Err("may hold only lowercase letters, digits, '-' and '.'")
    } else if !alphanumeric(bucket.chars().next()) || !alphanumeric(bucket.chars().last()) {
        Err("must start and end with a letter or digit")
    } else if bucket.contains("..") {
        Err("may not hold two dots in a row")
    } else {
        Ok(())
    }
}

/// An `http://` or `https://` URL of a host, without credentials (they
/// would show in logs), a query or a fragment.
fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(endpoint).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not hold credentials (use the AWS_* environment variables)".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("may not have a query or a fragment".into());
    }
    Ok(())
}

fn check_region(region: &str) -> Result<(), &'static str> {
    if !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(())
    } else {
        Err("is not a region name (e.g. eu-west-1)")
    }
}

/// Path segments of printable ASCII without `.`/`..` segments, as object
/// names take them everywhere.
fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() || prefix.len() > 512 {
        return Err("must be 1 to 512 characters long".into());
    }
    if !prefix.chars().all(|c| c.is_ascii_graphic()) {
        return Err("may hold only printable ASCII, no spaces".into());
    }
    object_store::path::Path::parse(prefix)
        .map(drop)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        images: ImageStoreArgs,
    }

    fn config(flags: &[&str]) -> Result<ImageStore, String> {
        let flags = Flags::try_parse_from(std::iter::once("catalog").chain(flags.iter().copied()))
            .map_err(|e| e.to_string())?;
        flags.images.config().map_err(|e| e.to_string())
    }

    #[test]
    fn images_stay_in_the_database_unless_s3_is_chosen() {
        assert!(matches!(config(&[]), Ok(ImageStore::Database)));
        assert!(matches!(
            config(&["--image-store", "db"]),
            Ok(ImageStore::Database)
        ));
        let error = config(&["--images-s3-bucket", "shop-images"]).expect_err("refused");
        assert!(error.contains("--image-store s3"), "{error}");
    }

    #[test]
    fn s3_takes_its_settings_from_the_flags() {
        let Ok(ImageStore::S3(s3)) = config(&[
            "--image-store",
            "s3",
            "--images-s3-bucket",
            "shop-images",
            "--images-s3-endpoint",
            "http://127.0.0.1:9000",
            "--images-s3-region",
            "eu-west-1",
            "--images-s3-prefix",
            "catalog/images",
        ]) else {
            panic!("an S3 store");
        };
        assert_eq!(s3.bucket, "shop-images");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s3.prefix.as_deref(), Some("catalog/images"));
        assert!(!s3.virtual_hosted_style);
        assert!(matches!(s3.credentials, S3Credentials::Environment));
    }

    #[test]
    fn each_bad_s3_flag_is_named() {
        // Values as `--flag=VALUE`, so that one starting with "-" is a value.
        let s3 = |flags: &[(&str, &str)]| {
            let flags: Vec<String> = flags.iter().map(|(f, v)| format!("--{f}={v}")).collect();
            let mut all = vec!["--image-store", "s3"];
            all.extend(flags.iter().map(String::as_str));
            config(&all).expect_err("refused")
        };
        assert!(s3(&[]).contains("--images-s3-bucket"));
        for name in ["ab", "Shop-Images", "shop_images", "-shop", "shop.", "a..b"] {
            let error = s3(&[("images-s3-bucket", name)]);
            assert!(error.starts_with("--images-s3-bucket"), "{name}: {error}");
        }
        let bucket = ("images-s3-bucket", "shop-images");
        for endpoint in [
            "127.0.0.1:9000",
            "ftp://127.0.0.1",
            "http://",
            "http://key:secret@127.0.0.1:9000",
            "http://127.0.0.1:9000/?x=1",
            "not a url",
        ] {
            let error = s3(&[bucket, ("images-s3-endpoint", endpoint)]);
            assert!(
                error.starts_with("--images-s3-endpoint"),
                "{endpoint}: {error}"
            );
        }
        for region in ["", "EU-WEST-1", "eu west"] {
            let error = s3(&[bucket, ("images-s3-region", region)]);
            assert!(error.starts_with("--images-s3-region"), "{region}: {error}");
        }
        for prefix in ["", "a//b", "a/../b", "with space", "é"] {
            let error = s3(&[bucket, ("images-s3-prefix", prefix)]);
            assert!(error.starts_with("--images-s3-prefix"), "{prefix}: {error}");
        }
    }
}
