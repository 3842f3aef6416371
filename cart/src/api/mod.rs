//! The gRPC face of the cart service: who the caller is and which cart a
//! call is about, request validation (into the domain's values), and the
//! conversion to the contract's messages. Nothing below this module knows
//! tonic.
//!
//! Access: every cart method but MergeCart is public at the transport
//! level, because anonymous shoppers have carts too. The method itself
//! decides whose cart it is: a bearer token, when one is sent, must be a
//! valid user token (UNAUTHENTICATED otherwise, never a silent fall-back to
//! anonymous) and the call is about that user's cart; without a token the
//! call is about the anonymous cart whose id it names, the id being the
//! capability. MergeCart and CheckoutCart need a signed-in user.

mod checkout;
mod status;

pub use checkout::Orders;

use contracts::{
    cart::{
        self as proto, cart_service_server::CartService, cart_service_server::SERVICE_NAME as CART,
    },
    common::Money,
    timestamp,
};
use platform::{
    auth::{Access, Grant, Policy, Principal, Role, Verifier},
    error::Violations,
};
use tonic::{Request, Response, Status};

use crate::{
    domain::{self, Cart, CartId, Change, Owner, ProductId, RequestId, Write},
    error::{Error, Result},
    store::Store,
};

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 1] = [CART];

/// Who may call which method (see the module's documentation): the cart
/// methods are open, and decide whose cart from the token if one is sent;
/// merging needs a signed-in user.
pub fn policy() -> Policy {
    let signed_in = || Access::Only(vec![Grant::User(Role::Customer), Grant::User(Role::Admin)]);
    Policy::new()
        .rule(CART, "GetCart", Access::Public)
        .rule(CART, "AddItem", Access::Public)
        .rule(CART, "SetQuantity", Access::Public)
        .rule(CART, "RemoveItem", Access::Public)
        .rule(CART, "ClearCart", Access::Public)
        .rule(CART, "MergeCart", signed_in())
        .rule(CART, "CheckoutCart", signed_in())
}

/// The CartService implementation.
#[derive(Clone)]
pub struct CartApi {
    store: Store,
    verifier: Verifier,
    orders: Orders,
}

impl CartApi {
    pub fn new(store: Store, verifier: Verifier, orders: Orders) -> Self {
        Self {
            store,
            verifier,
            orders,
        }
    }

    /// The user whose token the request carries, if it carries one.
    fn user<T>(&self, request: &Request<T>) -> Result<Option<String>> {
        let Some(header) = request.metadata().get("authorization") else {
            return Ok(None);
        };
        let header = header
            .to_str()
            .map_err(|_| Error::Unauthenticated("the authorization header is not text".into()))?;
        let principal = Verifier::bearer(Some(header))
            .and_then(|token| self.verifier.verify(token))
            .map_err(|e| Error::Unauthenticated(e.to_string()))?;
        if principal.service.is_some() {
            return Err(Error::PermissionDenied);
        }
        Ok(Some(principal.user_id))
    }

    /// Whose cart a call is about, from its token and its `cart_id`. A
    /// customer naming a cart id must name their own cart.
    async fn owner<T>(&self, request: &Request<T>, cart_id: &str) -> Result<Owner> {
        let cart_id = if cart_id.is_empty() {
            None
        } else {
            Some(CartId::parse(cart_id).map_err(|e| Error::invalid("cart_id", e))?)
        };
        match self.user(request)? {
            Some(user_id) => {
                let owner = Owner::Customer(user_id);
                if let Some(named) = cart_id {
                    let mine = self.store.cart(&owner).await?;
                    if mine.is_none_or(|cart| cart.id != named) {
                        return Err(Error::CartNotFound);
                    }
                }
                Ok(owner)
            }
            None => Ok(Owner::Anonymous(cart_id)),
        }
    }

    /// The signed-in customer a call is from (naming their own cart, if it
    /// names one).
    async fn customer<T>(&self, request: &Request<T>, cart_id: &str) -> Result<String> {
        match self.owner(request, cart_id).await? {
            Owner::Customer(user_id) => Ok(user_id),
            Owner::Anonymous(_) => Err(Error::Unauthenticated("sign in first".into())),
        }
    }

    /// Validates and applies one write.
    async fn write<T>(
        &self,
        request: &Request<T>,
        target: (&str, &str, &str),
        change: impl FnOnce(&mut Violations) -> Option<Change>,
    ) -> Result<proto::Cart> {
        let (cart_id, etag, request_id) = target;
        let owner = self.owner(request, cart_id).await?;
        let mut v = Violations::default();
        let request_id = v.check("request_id", RequestId::parse(request_id));
        let creates_anonymous = matches!(owner, Owner::Anonymous(None));
        if creates_anonymous
            && request_id
                .as_ref()
                .is_some_and(|id| CartId::parse(id.as_str()).is_err())
        {
            v.add(
                "request_id",
                "must be a UUID when it creates an anonymous cart",
            );
        }
        let change = change(&mut v);
        let (request_id, change) = v.finish(|| Some((request_id?, change?)))?;
        // An etag this service did not make names no version of the cart.
        let expected = if etag.is_empty() {
            None
        } else {
            Some(domain::version_of(etag).ok_or(Error::EtagMismatch)?)
        };
        let cart = self
            .store
            .write(&Write {
                owner,
                expected,
                request_id,
                change,
            })
            .await?;
        Ok(message(&cart))
    }
}

/// A product id, checked into `v`.
fn product(v: &mut Violations, raw: &str) -> Option<ProductId> {
    v.check("product_id", ProductId::parse(raw))
}

#[tonic::async_trait]
impl CartService for CartApi {
    async fn get_cart(
        &self,
        request: Request<proto::GetCartRequest>,
    ) -> Result<Response<proto::Cart>, Status> {
        let owner = self.owner(&request, &request.get_ref().cart_id).await?;
        let cart = self.store.cart(&owner).await?;
        Ok(Response::new(
            cart.as_ref().map(message).unwrap_or_default(),
        ))
    }

    async fn add_item(
        &self,
        request: Request<proto::AddItemRequest>,
    ) -> Result<Response<proto::Cart>, Status> {
        let r = request.get_ref();
        let cart = self
            .write(&request, (&r.cart_id, &r.etag, &r.request_id), |v| {
                let product_id = product(v, &r.product_id);
                let quantity = v.check("quantity", domain::quantity(r.quantity));
                Some(Change::Add {
                    product_id: product_id?,
                    quantity: quantity?,
                })
            })
            .await?;
        Ok(Response::new(cart))
    }

    async fn set_quantity(
        &self,
        request: Request<proto::SetQuantityRequest>,
    ) -> Result<Response<proto::Cart>, Status> {
        let r = request.get_ref();
        let cart = self
            .write(&request, (&r.cart_id, &r.etag, &r.request_id), |v| {
                let product_id = product(v, &r.product_id);
                let quantity = v.check("quantity", domain::quantity(r.quantity));
                Some(Change::SetQuantity {
                    product_id: product_id?,
                    quantity: quantity?,
                })
            })
            .await?;
        Ok(Response::new(cart))
    }

    async fn remove_item(
        &self,
        request: Request<proto::RemoveItemRequest>,
    ) -> Result<Response<proto::Cart>, Status> {
        let r = request.get_ref();
        let cart = self
            .write(&request, (&r.cart_id, &r.etag, &r.request_id), |v| {
                Some(Change::Remove {
                    product_id: product(v, &r.product_id)?,
                })
            })
            .await?;
        Ok(Response::new(cart))
    }

    async fn clear_cart(
        &self,
        request: Request<proto::ClearCartRequest>,
    ) -> Result<Response<proto::Cart>, Status> {
        let r = request.get_ref();
        let cart = self
            .write(&request, (&r.cart_id, &r.etag, &r.request_id), |_| {
                Some(Change::Clear)
            })
            .await?;
        Ok(Response::new(cart))
    }

    async fn merge_cart(
        &self,
        request: Request<proto::MergeCartRequest>,
    ) -> Result<Response<proto::MergeCartResponse>, Status> {
        let principal = Principal::of(&request)?;
        if principal.service.is_some() {
            return Err(Error::PermissionDenied.into());
        }
        let anonymous = CartId::parse(&request.get_ref().anonymous_cart_id)
            .map_err(|e| Error::invalid("anonymous_cart_id", e))?;
        let (cart, report) = self.store.merge(&principal.user_id, anonymous).await?;
        Ok(Response::new(proto::MergeCartResponse {
            cart: Some(cart.as_ref().map(message).unwrap_or_default()),
            capped_product_ids: report.capped,
            dropped_product_ids: report.dropped,
        }))
    }

    async fn checkout_cart(
        &self,
        request: Request<proto::CheckoutCartRequest>,
    ) -> Result<Response<proto::CheckoutCartResponse>, Status> {
        Ok(Response::new(self.checkout(request).await?))
    }
}

fn money(currency: &str, minor: i64) -> Money {
    Money {
        currency_code: currency.to_owned(),
        amount_minor: minor,
    }
}

fn message(cart: &Cart) -> proto::Cart {
    proto::Cart {
        id: cart.id.to_string(),
        user_id: cart.user_id.clone().unwrap_or_default(),
        lines: cart
            .lines
            .iter()
            .map(|line| proto::CartLine {
                product_id: line.product_id.clone(),
                product_name: line.product_name.clone(),
                quantity: line.quantity,
                unit_price: Some(money(&line.currency, line.unit_price_minor)),
                price_changed: line.previous_price_minor.is_some(),
                previous_unit_price: line
                    .previous_price_minor
                    .map(|minor| money(&line.currency, minor)),
                unavailable: line.unavailable,
            })
            .collect(),
        etag: domain::etag(cart.version),
        update_time: Some(timestamp::from_datetime(cart.updated_at)),
        expire_time: Some(timestamp::from_datetime(cart.expires_at)),
    }
}
