//! Shipping quotes: stored once when made, read by id, and deleted in
//! batches a while after they expire. The parcel and its options are kept
//! as JSON, read and written whole.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use platform::{
    clock::{from_micros, to_micros},
    money::{Currency, Money},
    on_db,
    statements::CacheStatement,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Store, shipping_quotes};
use crate::{
    domain::{
        Address, UserId,
        quote::{ProductId, Quote, QuoteId, QuoteLine},
        shipping::Offer,
    },
    error::{Error, Result},
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipping_quotes)]
struct QuoteRow {
    id: String,
    user_id: String,
    currency: String,
    address: String,
    lines: String,
    options: String,
    weight_grams: i64,
    created_at: i64,
    expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct StoredLine {
    product_id: String,
    quantity: i64,
}

#[derive(Serialize, Deserialize)]
struct StoredOffer {
    code: String,
    name: String,
    price_minor: i64,
    earliest_delivery: i64,
    latest_delivery: i64,
}

impl QuoteRow {
    fn new(quote: &Quote) -> Result<Self, serde_json::Error> {
        let lines: Vec<StoredLine> = quote
            .lines
            .iter()
            .map(|l| StoredLine {
                product_id: l.product_id.to_string(),
                quantity: l.quantity,
            })
            .collect();
        let options: Vec<StoredOffer> = quote
            .options
            .iter()
            .map(|o| StoredOffer {
                code: o.code.clone(),
                name: o.name.clone(),
                price_minor: o.price.minor(),
                earliest_delivery: to_micros(o.earliest_delivery),
                latest_delivery: to_micros(o.latest_delivery),
            })
            .collect();
        Ok(Self {
            id: quote.id.to_string(),
            user_id: quote.user_id.to_string(),
            currency: quote.currency.as_str().to_owned(),
            address: serde_json::to_string(&quote.address)?,
            lines: serde_json::to_string(&lines)?,
            options: serde_json::to_string(&options)?,
            weight_grams: quote.weight_grams,
            created_at: to_micros(quote.created_at),
            expires_at: to_micros(quote.expires_at),
        })
    }
}

impl TryFrom<QuoteRow> for Quote {
    type Error = Error;

    fn try_from(row: QuoteRow) -> Result<Self> {
        let id = &row.id;
        let corrupt = |what: &str| Error::Corrupt(format!("shipping quote {id}: {what}"));
        let currency = Currency::parse(&row.currency).map_err(|_| corrupt("currency"))?;
        let address: Address =
            serde_json::from_str(&row.address).map_err(|_| corrupt("address"))?;
        let lines: Vec<StoredLine> =
            serde_json::from_str(&row.lines).map_err(|_| corrupt("lines"))?;
        let options: Vec<StoredOffer> =
            serde_json::from_str(&row.options).map_err(|_| corrupt("options"))?;
        Ok(Quote {
            id: QuoteId::parse(&row.id).map_err(|_| corrupt("id"))?,
            user_id: UserId::parse(&row.user_id).map_err(|_| corrupt("user id"))?,
            currency,
            address,
            lines: lines
                .into_iter()
                .map(|l| {
                    Ok(QuoteLine {
                        product_id: ProductId::parse(&l.product_id)
                            .map_err(|_| corrupt("product id"))?,
                        quantity: l.quantity,
                    })
                })
                .collect::<Result<_>>()?,
            options: options
                .into_iter()
                .map(|o| Offer {
                    code: o.code,
                    name: o.name,
                    price: Money::new(currency, o.price_minor),
                    earliest_delivery: from_micros(o.earliest_delivery),
                    latest_delivery: from_micros(o.latest_delivery),
                })
                .collect(),
            weight_grams: row.weight_grams,
            created_at: from_micros(row.created_at),
            expires_at: from_micros(row.expires_at),
        })
    }
}

impl Store {
    /// Keeps a new quote.
    pub async fn insert_quote(&self, quote: &Quote) -> Result<()> {
        let row = QuoteRow::new(quote)
            .map_err(|e| Error::Corrupt(format!("cannot encode a shipping quote: {e}")))?;
        on_db!(&self.db, |conn| {
            diesel::insert_into(shipping_quotes::table)
                .values(&row)
                .cached()
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// The quote `id`, if it is still kept.
    pub async fn quote(&self, id: &QuoteId) -> Result<Option<Quote>> {
        let key = id.to_string();
        let row: Option<QuoteRow> = on_db!(&self.db, |conn| {
            shipping_quotes::table
                .filter(shipping_quotes::id.eq(&key))
                .select(QuoteRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(Quote::try_from).transpose()
    }

    /// Deletes up to `limit` quotes that expired at or before `before`;
    /// how many.
    pub async fn delete_expired_quotes(&self, before: OffsetDateTime, limit: i64) -> Result<usize> {
        let before = to_micros(before);
        Ok(on_db!(&self.db, |conn| {
            let ids: Vec<String> = shipping_quotes::table
                .filter(shipping_quotes::expires_at.le(before))
                .order(shipping_quotes::expires_at.asc())
                .limit(limit)
                .select(shipping_quotes::id)
                .load(conn)
                .await?;
            if ids.is_empty() {
                0
            } else {
                diesel::delete(shipping_quotes::table.filter(shipping_quotes::id.eq_any(&ids)))
                    .execute(conn)
                    .await?
            }
        }))
    }

    /// Now, at the store's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}
