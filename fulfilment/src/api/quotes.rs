//! GetShippingQuote and CheckShippingQuote: the parcel validated, its
//! products priced and weighed by the catalog, the options computed by the
//! shipping rules and kept as a quote; later checked for the orders
//! service against the order's lines and address.

use std::sync::Arc;

use contracts::{fulfilment as proto, timestamp};
use platform::{auth::Principal, error::Violations};
use tonic::{Request, Response, Status};

use super::{FulfilmentApi, validate};
use crate::{
    catalog::Catalog,
    domain::{
        UserId,
        quote::{Quote, QuoteId, QuoteRequest},
        shipping::{Offer, PricedLine, Rules},
    },
    error::{Error, Result},
};

/// What quoting needs besides the store: the rules, the catalog, and how
/// long a quote holds.
#[derive(Clone)]
pub struct Quoting {
    pub rules: Arc<Rules>,
    pub catalog: Catalog,
    pub ttl: time::Duration,
}

fn option(offer: &Offer) -> proto::ShippingOption {
    proto::ShippingOption {
        code: offer.code.clone(),
        name: offer.name.clone(),
        price: Some(offer.price.into()),
        earliest_delivery_time: Some(timestamp::from_datetime(offer.earliest_delivery)),
        latest_delivery_time: Some(timestamp::from_datetime(offer.latest_delivery)),
    }
}

fn quote_message(quote: &Quote) -> proto::ShippingQuote {
    proto::ShippingQuote {
        id: quote.id.to_string(),
        options: quote.options.iter().map(option).collect(),
        expire_time: Some(timestamp::from_datetime(quote.expires_at)),
        weight_grams: quote.weight_grams,
    }
}

/// The user a call is for: the signed-in user, or the user the orders
/// service acts for.
fn user_of(caller: &Principal) -> Result<UserId> {
    UserId::parse(&caller.user_id).map_err(|e| Error::invalid("user", e))
}

impl FulfilmentApi {
    pub(super) async fn quote(
        &self,
        request: Request<proto::GetShippingQuoteRequest>,
    ) -> Result<Response<proto::ShippingQuote>, Status> {
        let user_id = user_of(&Principal::of(&request)?)?;
        let request = request.into_inner();
        validate::too_many(&request.lines).map_err(Error::from)?;
        let mut v = Violations::default();
        let address = validate::address(&mut v, "address", request.address.as_ref());
        let lines = validate::lines(&mut v, &request.lines);
        let parcel = v
            .finish(|| {
                Some(QuoteRequest {
                    address: address?,
                    lines: lines?,
                })
            })
            .map_err(Error::from)?;

        let ids: Vec<_> = parcel.lines.iter().map(|l| l.product_id).collect();
        let facts = self.quoting.catalog.products(&ids).await?;
        let priced = parcel
            .lines
            .iter()
            .map(|line| {
                let id = line.product_id.to_string();
                let product = facts
                    .get(&id)
                    .ok_or_else(|| Error::ProductsNotFound(vec![id.clone()]))?;
                Ok(PricedLine {
                    currency: product.currency.clone(),
                    unit_price_minor: product.unit_price_minor,
                    quantity: line.quantity,
                    weight_grams: product.weight_grams,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let now = self.store.now();
        let offers = self
            .quoting
            .rules
            .offers(&parcel.address.country_code, &priced, now)
            .map_err(Error::from)?;
        let quote = Quote {
            id: QuoteId::generate(),
            user_id,
            currency: self.quoting.rules.currency(),
            address: parcel.address,
            lines: parcel.lines,
            options: offers.options,
            weight_grams: offers.weight_grams,
            created_at: now,
            expires_at: now.saturating_add(self.quoting.ttl),
        };
        self.store.insert_quote(&quote).await?;
        Ok(Response::new(quote_message(&quote)))
    }

    pub(super) async fn check_quote(
        &self,
        request: Request<proto::CheckShippingQuoteRequest>,
    ) -> Result<Response<proto::ShippingOption>, Status> {
        let user_id = user_of(&Principal::of(&request)?)?;
        let request = request.into_inner();
        validate::too_many(&request.lines).map_err(Error::from)?;
        let mut v = Violations::default();
        let quote_id = v.check("quote_id", QuoteId::parse(&request.quote_id));
        if request.option_code.is_empty() {
            v.add("option_code", "is required");
        }
        let address = validate::address(&mut v, "address", request.address.as_ref());
        let lines = validate::lines(&mut v, &request.lines);
        let (quote_id, address, lines) = v
            .finish(|| Some((quote_id?, address?, lines?)))
            .map_err(Error::from)?;

        let quote = self
            .store
            .quote(&quote_id)
            .await?
            .filter(|q| q.user_id == user_id)
            .ok_or(Error::QuoteNotFound)?;
        let offer = quote
            .check(&lines, &address, &request.option_code, self.store.now())
            .map_err(Error::from)?;
        Ok(Response::new(option(offer)))
    }
}
