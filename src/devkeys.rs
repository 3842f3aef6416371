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

/// Loads the key pair `name` from `dir`, creating it the first time.
pub fn load_or_create(dir: &Path, name: &str) -> Result<DevKey, Box<dyn std::error::Error>> {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    if private.exists() && public.exists() {
        return Ok(DevKey {
            private_pem: read(&private)?,
            public_pem: read(&public)?,
        });
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let pair = KeyPair::generate().map_err(|e: AuthError| e.to_string())?;
    write_private(&private, &pair.private_pem)?;
    fs::write(&public, &pair.public_pem)
        .map_err(|e| format!("cannot write {}: {e}", public.display()))?;
    Ok(DevKey {
        private_pem: pair.private_pem.clone(),
        public_pem: pair.public_pem.clone(),
    })
}

/// Where the development keys live inside the data directory.
pub fn keys_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("keys")
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Private keys are readable by their owner only.
fn write_private(path: &Path, pem: &str) -> Result<(), String> {
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
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
