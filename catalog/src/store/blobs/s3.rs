//! Images' bytes in a bucket of S3 or of an S3-compatible server (MinIO,
//! Ceph, R2...): [`S3Blobs`], on `object_store`'s S3 client. Requests are
//! signed with ring and sent over reqwest on rustls with ring, checked
//! against the system's roots; no second TLS stack.
//!
//! Objects are named `PREFIX/KEY` with the store's own keys. A missing
//! object reads as `None` and deletes as done; every other failure is
//! [`Error::ImageStore`], which the API answers as UNAVAILABLE without its
//! cause.

use std::{sync::Arc, time::Duration};

use object_store::{
    BackoffConfig, ClientOptions, ObjectStoreExt, PutPayload, RetryConfig,
    aws::{AmazonS3, AmazonS3Builder},
    client::{HttpClient, HttpConnector},
    path::Path,
};
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_rustls::rustls;

use super::BlobStore;
use crate::error::{Error, Result};

/// How long one request may take to connect, and in all (a 4 MiB upload on
/// a slow link included).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A failed request is retried twice, within a few seconds: an upload or an
/// image read waits that long at most for a store that is down, rather than
/// the client library's default of minutes.
fn retries() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(5),
    }
}

/// Which bucket, where, and as whom.
#[derive(Clone, Debug)]
pub struct S3Config {
    pub bucket: String,
    /// An S3-compatible server's URL (`http://` or `https://`); `None` is
    /// AWS, at the region's endpoint.
    pub endpoint: Option<String>,
    /// `None`: the standard AWS environment's, else `us-east-1`.
    pub region: Option<String>,
    /// Objects are named `PREFIX/KEY`; `None` puts them at the bucket's top.
    pub prefix: Option<String>,
    /// The bucket in the host name (`BUCKET.s3.REGION.amazonaws.com`)
    /// rather than the path (`s3.REGION.amazonaws.com/BUCKET`, which every
    /// S3-compatible server takes). With an endpoint, the endpoint must
    /// then name the bucket's host itself.
    pub virtual_hosted_style: bool,
    pub credentials: S3Credentials,
}

impl S3Config {
    /// `bucket` on AWS, at the top of the bucket, with the standard AWS
    /// environment's region and credentials.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: None,
            region: None,
            prefix: None,
            virtual_hosted_style: false,
            credentials: S3Credentials::Environment,
        }
    }
}

/// Whose credentials sign the requests.
#[derive(Clone)]
pub enum S3Credentials {
    /// The standard AWS environment: `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`), a web identity
    /// (`AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`), a container's or,
    /// failing those, the instance's.
    Environment,
    /// An access key given directly.
    Static {
        key_id: String,
        secret: String,
        session_token: Option<String>,
    },
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Environment => f.write_str("Environment"),
            // The key id names the key (it shows in S3's logs too); the
            // secret and token stay out of every log.
            Self::Static { key_id, .. } => f
                .debug_struct("Static")
                .field("key_id", key_id)
                .finish_non_exhaustive(),
        }
    }
}

/// Blobs as objects of one bucket.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    store: Arc<AmazonS3>,
    prefix: Path,
}

impl S3Blobs {
    /// A client of the bucket `config` names. Nothing is sent yet: see
    /// [`S3Blobs::check`].
    pub fn new(config: &S3Config) -> Result<Self> {
        let prefix = match &config.prefix {
            Some(prefix) => Path::parse(prefix).map_err(failed)?,
            None => Path::default(),
        };
        // The AWS environment first (credentials, region), then what the
        // configuration says over it.
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_virtual_hosted_style_request(config.virtual_hosted_style)
            .with_retry(retries())
            .with_http_connector(RustlsRing);
        if let Some(endpoint) = &config.endpoint {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        if let Some(region) = &config.region {
            builder = builder.with_region(region);
        }
        if let S3Credentials::Static {
            key_id,
            secret,
            session_token,
        } = &config.credentials
        {
            builder = builder
                .with_access_key_id(key_id)
                .with_secret_access_key(secret);
            if let Some(token) = session_token {
                builder = builder.with_token(token);
            }
        }
        Ok(Self {
            store: Arc::new(builder.build().map_err(failed)?),
            prefix,
        })
    }

    /// Writes, reads back and deletes an object of its own, so that a bucket
    /// that does not exist, credentials that may not write, read or delete
    /// there, or a server that cannot be reached show when the catalog
    /// starts, not at the first upload (and a missing bucket never reads as
    /// images that are missing). The object's name is new each time, so
    /// replicas starting together do not meet; one left by a crash in
    /// between is a few bytes under `PREFIX/.startup-check-*`.
    pub async fn check(&self) -> Result<()> {
        let key = format!(".startup-check-{}", uuid::Uuid::new_v4());
        let written = key.as_bytes().to_vec();
        self.put(&key, written.clone()).await?;
        let read = self.get(&key).await?;
        self.delete(&key).await?;
        if read.as_deref() == Some(written.as_slice()) {
            Ok(())
        } else {
            Err(Error::ImageStore(
                "an object written to the bucket did not read back the same".into(),
            ))
        }
    }

    fn path(&self, key: &str) -> Path {
        self.prefix.clone().join(key)
    }
}

#[async_trait::async_trait]
impl BlobStore for S3Blobs {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.store.get(&self.path(key)).await {
            Ok(found) => Ok(Some(Vec::from(found.bytes().await.map_err(failed)?))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(failed(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        // S3 answers a delete of a missing object as done; other servers
        // may say "not found", which is done too.
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(failed(error)),
        }
    }
}

fn failed(error: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::ImageStore(Box::new(error))
}

/// Connects `object_store` through reqwest on rustls with ring (its own
/// connector would bring aws-lc), checking certificates against the
/// system's roots.
#[derive(Debug)]
struct RustlsRing;

impl HttpConnector for RustlsRing {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let setup =
            |source: Box<dyn std::error::Error + Send + Sync>| object_store::Error::Generic {
                store: "S3",
                source,
            };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(BuilderVerifierExt::with_platform_verifier)
            .map_err(|e| setup(e.into()))?
            .with_no_client_auth();
        // Plain HTTP only where the configuration asked for it (an
        // `http://` endpoint, or the cloud's metadata services).
        let allow_http = options
            .get_config_value(&object_store::ClientConfigKey::AllowHttp)
            .is_some_and(|allowed| allowed == "true");
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(!allow_http)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| setup(e.into()))?;
        Ok(HttpClient::new(client))
    }
}
