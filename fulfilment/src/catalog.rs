//! The catalog as fulfilment calls it: the price and weight of each
//! product of a parcel to quote, with one BatchGetProducts. It is a public
//! method, so the call carries no token, only a deadline and the trace
//! context. The channel is built once and guarded (timeout, calls in
//! flight, circuit breaker: see `platform::resilience`); the call is not
//! retried here: GetShippingQuote is safe for its caller to retry.

use std::{collections::HashMap, time::Duration};

use contracts::catalog::{BatchGetProductsRequest, catalog_service_client::CatalogServiceClient};
use platform::client::Upstream;
use tonic::{Code, Request};
use tonic_types::StatusExt;

use crate::{
    domain::quote::ProductId,
    error::{Error, Result},
};

/// What a quote needs to know of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    pub currency: String,
    pub unit_price_minor: i64,
    pub weight_grams: i64,
}

/// A client to the catalog; cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    client: CatalogServiceClient<Upstream>,
    deadline: Duration,
}

impl Catalog {
    /// Calls over `channel`, each giving up after `deadline`.
    pub fn new(channel: Upstream, deadline: Duration) -> Self {
        Self {
            client: CatalogServiceClient::new(channel),
            deadline,
        }
    }

    /// The facts of every product in `ids`, by id. NOT_FOUND (with the
    /// missing ids) if the catalog lacks any; UNAVAILABLE if it does not
    /// answer.
    pub async fn products(&self, ids: &[ProductId]) -> Result<HashMap<String, ProductFacts>> {
        let mut request = Request::new(BatchGetProductsRequest {
            ids: ids.iter().map(ToString::to_string).collect(),
        });
        request.set_timeout(self.deadline);
        platform::telemetry::inject_trace_metadata(request.metadata_mut());
        let products = match self.client.clone().batch_get_products(request).await {
            Ok(response) => response.into_inner().products,
            Err(status) if status.code() == Code::NotFound => {
                let missing = status
                    .get_error_details()
                    .error_info()
                    .and_then(|info| info.metadata.get("product_ids").cloned())
                    .unwrap_or_default();
                return Err(Error::ProductsNotFound(
                    missing
                        .split(',')
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ));
            }
            Err(status)
                if matches!(
                    status.code(),
                    Code::Unavailable
                        | Code::DeadlineExceeded
                        | Code::ResourceExhausted
                        | Code::Aborted
                        | Code::Cancelled
                ) =>
            {
                return Err(Error::CatalogUnavailable);
            }
            Err(status) => {
                return Err(Error::CatalogFailed(format!(
                    "{:?}: {}",
                    status.code(),
                    status.message()
                )));
            }
        };
        let found: HashMap<String, ProductFacts> = products
            .into_iter()
            .map(|p| {
                let price = p.price.unwrap_or_default();
                let facts = ProductFacts {
                    currency: price.currency_code,
                    unit_price_minor: price.amount_minor,
                    weight_grams: i64::from(p.weight_grams),
                };
                (p.id, facts)
            })
            .collect();
        let missing: Vec<String> = ids
            .iter()
            .map(ToString::to_string)
            .filter(|id| !found.contains_key(id))
            .collect();
        if !missing.is_empty() {
            return Err(Error::ProductsNotFound(missing));
        }
        Ok(found)
    }
}
