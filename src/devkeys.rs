//! Development keys for the all-in-one mode: generated on first start and
//! kept in the data directory, so tokens stay valid across restarts. Real
//! deployments mount their keys from secrets instead.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use platform::auth::{AuthError, KeyPair};

/// A key pair stored as `<name>.pem` (private) and `<name>.pub.pem`.
pub struct DevKey {
    pub private_pem: String,
    pub public_pem: String,
}

/// A development key that cannot be read, generated or written.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    #[error("cannot {action} {}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Generate(#[from] AuthError),
}

/// The file error `action` on `path`, naming both.
fn file_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> DevKeyError {
    let path = path.to_owned();
    move |source| DevKeyError::File {
        action,
        path,
        source,
    }
}

/// Loads the key pair `name` from `dir`, creating it the first time.
pub fn load_or_create(dir: &Path, name: &str) -> Result<DevKey, DevKeyError> {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    if private.exists() && public.exists() {
        return Ok(DevKey {
            private_pem: read(&private)?,
            public_pem: read(&public)?,
        });
    }
    fs::create_dir_all(dir).map_err(file_error("create", dir))?;
    let pair = KeyPair::generate()?;
    write_private(&private, &pair.private_pem)?;
    fs::write(&public, &pair.public_pem).map_err(file_error("write", &public))?;
    Ok(DevKey {
        private_pem: pair.private_pem.clone(),
        public_pem: pair.public_pem.clone(),
    })
}

/// Where the development keys live inside the data directory.
pub fn keys_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("keys")
}

fn read(path: &Path) -> Result<String, DevKeyError> {
    fs::read_to_string(path).map_err(file_error("read", path))
}

/// Private keys are readable by their owner only.
fn write_private(path: &Path, pem: &str) -> Result<(), DevKeyError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut file| file.write_all(pem.as_bytes()))
        .map_err(file_error("write", path))
}
