//! The address methods of `shop.auth.v1.AuthService`: requests checked
//! into [`super::domain`] values, the store asked for the caller's own
//! addresses only, answers and errors made. Addresses are personal data:
//! logs name them by id, never by content.

use contracts::{auth as proto, timestamp};
use platform::{auth::Principal, error::Violations};
use tonic::{Request, Response, Status};

use super::domain::{
    AddressId, AddressPatch, Label, MAX_ADDRESSES, NewAddress, Refusal, SavedAddress, Version,
};
use crate::{accounts::store::UserStore, error::Error};

/// Most paths in UpdateAddress's mask.
pub const MAX_MASK_PATHS: usize = 5;

/// The address methods.
#[derive(Clone)]
pub struct AddressBook {
    users: UserStore,
}

fn message(saved: SavedAddress) -> proto::SavedAddress {
    proto::SavedAddress {
        id: saved.id.to_string(),
        label: saved.label,
        address: Some(saved.address.into()),
        default: saved.default,
        etag: saved.version.etag(),
        create_time: Some(timestamp::from_datetime(saved.created_at)),
        update_time: Some(timestamp::from_datetime(saved.updated_at)),
    }
}

/// The error a refusal is, for the address `id` (when one was named).
fn refused(refusal: Refusal, id: Option<AddressId>) -> Error {
    let id = id.map(|id| id.to_string()).unwrap_or_default();
    match refusal {
        Refusal::NotFound => Error::AddressNotFound(id),
        Refusal::Stale => Error::AddressChanged(id),
        Refusal::Full => Error::TooManyAddresses(MAX_ADDRESSES),
        Refusal::NoSuchUser => Error::UnknownUser,
    }
}

fn address_id(field: &str, raw: &str) -> Result<AddressId, Error> {
    AddressId::parse(raw).map_err(|d| Error::invalid(field, d))
}

/// The fields of `saved` that `paths` names ("*" names both).
fn patch(saved: &proto::SavedAddress, paths: &[String]) -> Result<AddressPatch, Error> {
    let mut v = Violations::default();
    if paths.is_empty() {
        v.add(
            "update_mask",
            "must name the fields to change: label or address",
        );
    }
    let everything = paths.iter().any(|p| p == "*");
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "*" if paths.len() == 1 => {}
            "label" | "address" if !everything => {}
            "*" => v.add(
                format!("update_mask.paths[{i}]"),
                "\"*\" must be the only path",
            ),
            // The client's text is not echoed back: it could be anything.
            _ => v.add(
                format!("update_mask.paths[{i}]"),
                "is not an updatable field (label, address)",
            ),
        }
    }
    let named = |field: &str| everything || paths.iter().any(|p| p == field);
    let label = named("label")
        .then(|| v.check("saved_address.label", Label::parse(&saved.label)))
        .flatten();
    let address = named("address")
        .then(|| {
            platform::address::required(&mut v, "saved_address.address", saved.address.as_ref())
        })
        .flatten();
    let expected = if saved.etag.is_empty() {
        None
    } else {
        v.check("saved_address.etag", Version::from_etag(&saved.etag))
    };
    Ok(v.finish(|| {
        Some(AddressPatch {
            label: if named("label") { Some(label?) } else { None },
            address: if named("address") {
                Some(address?)
            } else {
                None
            },
            expected,
        })
    })?)
}

impl AddressBook {
    pub fn new(users: UserStore) -> Self {
        Self { users }
    }

    pub async fn list_addresses(
        &self,
        request: Request<proto::ListAddressesRequest>,
    ) -> Result<Response<proto::ListAddressesResponse>, Status> {
        let caller = Principal::of(&request)?;
        let addresses = self
            .users
            .list_addresses(&caller.user_id)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(proto::ListAddressesResponse {
            addresses: addresses.into_iter().map(message).collect(),
        }))
    }

    pub async fn create_address(
        &self,
        request: Request<proto::CreateAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        let caller = Principal::of(&request)?;
        let Some(saved) = request.into_inner().saved_address else {
            return Err(Error::invalid("saved_address", "is required").into());
        };
        let mut v = Violations::default();
        let label = v.check("saved_address.label", Label::parse(&saved.label));
        let address =
            platform::address::required(&mut v, "saved_address.address", saved.address.as_ref());
        let new = v
            .finish(|| {
                Some(NewAddress {
                    label: label?,
                    address: address?,
                    default: saved.default,
                })
            })
            .map_err(Error::from)?;
        let created = self
            .users
            .create_address(&caller.user_id, new)
            .await
            .map_err(Error::from)?
            .map_err(|refusal| refused(refusal, None))?;
        tracing::info!(address_id = %created.id, "address saved");
        Ok(Response::new(message(created)))
    }

    pub async fn update_address(
        &self,
        request: Request<proto::UpdateAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        let caller = Principal::of(&request)?;
        let request = request.into_inner();
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        // Too many paths is refused before any is looked at.
        platform::limits::at_most("update_mask.paths", paths.len(), MAX_MASK_PATHS)
            .map_err(Error::from)?;
        let Some(saved) = request.saved_address else {
            return Err(Error::invalid("saved_address", "is required").into());
        };
        let id = address_id("saved_address.id", &saved.id)?;
        let patch = patch(&saved, &paths)?;
        let updated = self
            .users
            .update_address(&caller.user_id, id, patch)
            .await
            .map_err(Error::from)?
            .map_err(|refusal| refused(refusal, Some(id)))?;
        Ok(Response::new(message(updated)))
    }

    pub async fn delete_address(
        &self,
        request: Request<proto::DeleteAddressRequest>,
    ) -> Result<Response<proto::DeleteAddressResponse>, Status> {
        let caller = Principal::of(&request)?;
        let id = address_id("id", &request.get_ref().id)?;
        self.users
            .delete_address(&caller.user_id, id)
            .await
            .map_err(Error::from)?
            .map_err(|refusal| refused(refusal, Some(id)))?;
        tracing::info!(address_id = %id, "address deleted");
        Ok(Response::new(proto::DeleteAddressResponse {}))
    }

    pub async fn set_default_address(
        &self,
        request: Request<proto::SetDefaultAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        let caller = Principal::of(&request)?;
        let id = address_id("id", &request.get_ref().id)?;
        let set = self
            .users
            .set_default_address(&caller.user_id, id)
            .await
            .map_err(Error::from)?
            .map_err(|refusal| refused(refusal, Some(id)))?;
        Ok(Response::new(message(set)))
    }
}
