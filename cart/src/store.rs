//! The service's tables with diesel, on SQLite or PostgreSQL: `products`
//! (the catalog's products as its events described them), `carts`,
//! `cart_lines`, `cart_requests` (the writes already applied, by request
//! id) and `checkouts` (the order placed for a cart version, until it
//! settles). A write is one transaction that first moves the cart's version
//! on with a conditional update (`WHERE version = <the etag's>`), so of two
//! writers with the same etag exactly one wins and nothing is lost; the
//! functions taking a [`Conn`] run in the event consumer's transaction.

use std::{collections::HashMap, time::Duration};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::{Clock, from_micros, to_micros},
    db::Db,
    events::Conn,
    on_conn, on_db,
};
use time::OffsetDateTime;

use crate::{
    domain::{
        self, Cart, CartId, Line, MergeReport, Owner, Product, Write,
        checkout::{self, Checkout, Settlement},
    },
    error::{Error, Result},
};

platform::migrations!("migrations");

diesel::table! {
    products (id) {
        id -> Text,
        name -> Text,
        price_minor -> BigInt,
        currency -> Text,
        deleted -> Bool,
        sequence -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    carts (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    cart_lines (cart_id, product_id) {
        cart_id -> Text,
        product_id -> Text,
        position -> BigInt,
        quantity -> Integer,
        unit_price_minor -> BigInt,
        currency -> Text,
        previous_price_minor -> Nullable<BigInt>,
        unavailable -> Bool,
    }
}

diesel::table! {
    cart_requests (scope, request_id) {
        scope -> Text,
        request_id -> Text,
        cart_id -> Text,
        fingerprint -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    checkouts (request_id) {
        request_id -> Text,
        cart_id -> Text,
        cart_version -> BigInt,
        user_id -> Text,
        lines -> Text,
        state -> Text,
        order_id -> Nullable<Text>,
        created_at -> BigInt,
        settled_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(cart_lines -> carts (cart_id));
diesel::allow_tables_to_appear_in_same_query!(
    products,
    carts,
    cart_lines,
    cart_requests,
    checkouts
);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = carts)]
struct CartRow {
    id: String,
    user_id: Option<String>,
    version: i64,
    created_at: i64,
    updated_at: i64,
    expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cart_lines)]
struct LineRow {
    cart_id: String,
    product_id: String,
    position: i64,
    quantity: i32,
    unit_price_minor: i64,
    currency: String,
    previous_price_minor: Option<i64>,
    unavailable: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
struct ProductRow {
    id: String,
    name: String,
    price_minor: i64,
    currency: String,
    deleted: bool,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            price_minor: row.price_minor,
            currency: row.currency,
            deleted: row.deleted,
        }
    }
}

impl From<LineRow> for Line {
    /// The line without its product's name, which only reads show.
    fn from(row: LineRow) -> Self {
        Self {
            product_id: row.product_id,
            product_name: String::new(),
            quantity: row.quantity,
            unit_price_minor: row.unit_price_minor,
            currency: row.currency,
            previous_price_minor: row.previous_price_minor,
            unavailable: row.unavailable,
        }
    }
}

fn line_rows(cart_id: &str, lines: &[Line]) -> Vec<LineRow> {
    lines
        .iter()
        .zip(0_i64..)
        .map(|(line, position)| LineRow {
            cart_id: cart_id.to_owned(),
            product_id: line.product_id.clone(),
            position,
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
            currency: line.currency.clone(),
            previous_price_minor: line.previous_price_minor,
            unavailable: line.unavailable,
        })
        .collect()
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// Whose requests a request id is remembered among (see the migration).
fn scope(owner: &Owner, request_id: &str) -> String {
    match owner {
        Owner::Customer(user_id) => format!("user:{user_id}"),
        Owner::Anonymous(Some(cart_id)) => format!("cart:{cart_id}"),
        Owner::Anonymous(None) => format!("new:{request_id}"),
    }
}

/// The carts, lines and products for the API and the sweeper. Cheap to
/// clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    clock: Clock,
    idle_expiry: Duration,
}

impl Store {
    pub fn new(db: Db, clock: Clock, idle_expiry: Duration) -> Self {
        Self {
            db,
            clock,
            idle_expiry,
        }
    }

    /// The live cart row of `owner`, if any (an expired one the sweeper has
    /// not reached yet counts as gone).
    async fn cart_row(&self, owner: &Owner) -> Result<Option<CartRow>> {
        let now = to_micros(self.clock.now());
        let (by_user, by_id) = match owner {
            Owner::Customer(user_id) => (Some(user_id.clone()), None),
            Owner::Anonymous(Some(id)) => (None, Some(id.to_string())),
            Owner::Anonymous(None) => return Ok(None),
        };
        Ok(on_db!(&self.db, |conn| {
            let mut query = carts::table
                .filter(carts::expires_at.gt(now))
                .select(CartRow::as_select())
                .into_boxed();
            if let Some(user_id) = &by_user {
                query = query.filter(carts::user_id.eq(user_id));
            }
            if let Some(id) = &by_id {
                // Customers' carts are never reachable by id alone.
                query = query
                    .filter(carts::id.eq(id))
                    .filter(carts::user_id.is_null());
            }
            query.first(conn).await.optional()?
        }))
    }

    /// A cart with its lines, in order, named as last published.
    async fn load(&self, row: CartRow) -> Result<Cart> {
        let id = row.id.clone();
        let (lines, names): (Vec<LineRow>, Vec<(String, String)>) = on_db!(&self.db, |conn| {
            let lines: Vec<LineRow> = cart_lines::table
                .filter(cart_lines::cart_id.eq(&id))
                .order(cart_lines::position.asc())
                .select(LineRow::as_select())
                .load(conn)
                .await?;
            let ids: Vec<&str> = lines.iter().map(|l| l.product_id.as_str()).collect();
            let names = products::table
                .filter(products::id.eq_any(ids))
                .select((products::id, products::name))
                .load(conn)
                .await?;
            (lines, names)
        });
        let names: HashMap<String, String> = names.into_iter().collect();
        Ok(Cart {
            id: CartId::parse(&row.id).map_err(|e| Error::Corrupt(format!("cart id {e}")))?,
            user_id: row.user_id,
            version: row.version,
            lines: lines
                .into_iter()
                .map(|row| Line {
                    product_name: names.get(&row.product_id).cloned().unwrap_or_default(),
                    ..Line::from(row)
                })
                .collect(),
            updated_at: from_micros(row.updated_at),
            expires_at: from_micros(row.expires_at),
        })
    }

    /// The cart of `owner`: `None` if a customer has none yet; an
    /// anonymous cart id that names no live anonymous cart is
    /// [`Error::CartNotFound`].
    pub async fn cart(&self, owner: &Owner) -> Result<Option<Cart>> {
        match self.cart_row(owner).await? {
            Some(row) => Ok(Some(self.load(row).await?)),
            None if matches!(owner, Owner::Anonymous(Some(_))) => Err(Error::CartNotFound),
            None => Ok(None),
        }
    }

    /// The cart `id`, whoever owns it.
    async fn cart_by_id(&self, id: &str) -> Result<Cart> {
        let now = to_micros(self.clock.now());
        let row: Option<CartRow> = on_db!(&self.db, |conn| {
            carts::table
                .find(id)
                .filter(carts::expires_at.gt(now))
                .select(CartRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        self.load(row.ok_or(Error::CartNotFound)?).await
    }

    /// The product `id` as last published, if the catalog ever did.
    pub async fn product(&self, id: &str) -> Result<Option<Product>> {
        let row: Option<ProductRow> = on_db!(&self.db, |conn| {
            products::table
                .find(id)
                .select(ProductRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        Ok(row.map(Product::from))
    }

    /// Applies `write` once: a request id seen before (for the same owner)
    /// returns the cart as it is now; otherwise the etag must name the
    /// cart's current version (or be empty with no cart yet), and the
    /// change is applied in one transaction that moves the version on only
    /// if nobody else did first.
    pub async fn write(&self, write: &Write) -> Result<Cart> {
        let request_id = write.request_id.as_str();
        let scope = scope(&write.owner, request_id);
        let fingerprint = write.change.fingerprint();
        let seen: Option<(String, String)> = on_db!(&self.db, |conn| {
            cart_requests::table
                .find((&scope, request_id))
                .select((cart_requests::cart_id, cart_requests::fingerprint))
                .first(conn)
                .await
                .optional()?
        });
        if let Some((cart_id, seen_fingerprint)) = seen {
            if seen_fingerprint != fingerprint {
                return Err(Error::invalid(
                    "request_id",
                    "was already used for a different change",
                ));
            }
            return self.cart_by_id(&cart_id).await;
        }

        let current = match self.cart_row(&write.owner).await? {
            None if matches!(write.owner, Owner::Anonymous(Some(_))) => {
                return Err(Error::CartNotFound);
            }
            None => None,
            Some(row) => Some(self.load(row).await?),
        };
        match (&current, write.expected) {
            (None, None) => {}
            (Some(cart), Some(version)) if cart.version == version => {}
            _ => return Err(Error::EtagMismatch),
        }
        let product = match write.change.added_product() {
            Some(id) => {
                let product = self.product(&id.to_string()).await?;
                Some(
                    product
                        .filter(|p| !p.deleted)
                        .ok_or_else(|| Error::ProductNotFound(id.to_string()))?,
                )
            }
            None => None,
        };
        let mut lines = current
            .as_ref()
            .map(|c| c.lines.clone())
            .unwrap_or_default();
        domain::apply(&mut lines, &write.change, product.as_ref())?;

        let now = self.clock.now();
        let at = to_micros(now);
        let expires = at.saturating_add(micros(self.idle_expiry));
        let (cart_row, fresh) = match &current {
            Some(cart) => (
                CartRow {
                    id: cart.id.to_string(),
                    user_id: cart.user_id.clone(),
                    version: cart.version + 1,
                    created_at: at,
                    updated_at: at,
                    expires_at: expires,
                },
                false,
            ),
            None => (
                CartRow {
                    id: CartId::random().to_string(),
                    user_id: match &write.owner {
                        Owner::Customer(user_id) => Some(user_id.clone()),
                        Owner::Anonymous(_) => None,
                    },
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    expires_at: expires,
                },
                true,
            ),
        };
        let rows = line_rows(&cart_row.id, &lines);
        let row = cart_row.clone();
        let outcome: Result<()> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                save(tx.into(), &row, fresh, &rows).await?;
                diesel::insert_into(cart_requests::table)
                    .values((
                        cart_requests::scope.eq(&scope),
                        cart_requests::request_id.eq(request_id),
                        cart_requests::cart_id.eq(&row.id),
                        cart_requests::fingerprint.eq(&fingerprint),
                        cart_requests::created_at.eq(at),
                    ))
                    .execute(tx)
                    .await?;
                Ok(())
            })
            .await
        });
        match outcome {
            Ok(()) => {}
            // Another device created the customer's cart, or applied the
            // same request, first: the client reads again.
            Err(e) if e.is_unique_violation() => return Err(Error::EtagMismatch),
            Err(e) => return Err(e),
        }
        self.cart_by_id(&cart_row.id).await
    }

    /// Moves the anonymous cart `anonymous` into `user_id`'s cart and
    /// deletes it; nothing happens if it is gone. Returns the customer's
    /// cart (`None` if they have none and there was nothing to merge) and
    /// what the limits refused.
    pub async fn merge(
        &self,
        user_id: &str,
        anonymous: CartId,
    ) -> Result<(Option<Cart>, MergeReport)> {
        let customer = Owner::Customer(user_id.to_owned());
        let Some(theirs) = self.cart_row(&Owner::Anonymous(Some(anonymous))).await? else {
            return Ok((self.cart(&customer).await?, MergeReport::default()));
        };
        let theirs = self.load(theirs).await?;
        let mine = self.cart(&customer).await?;
        let mut lines = mine.as_ref().map(|c| c.lines.clone()).unwrap_or_default();
        let report = domain::merge(&mut lines, theirs.lines.clone());

        let at = to_micros(self.clock.now());
        let expires = at.saturating_add(micros(self.idle_expiry));
        let row = match &mine {
            Some(cart) => CartRow {
                id: cart.id.to_string(),
                user_id: Some(user_id.to_owned()),
                version: cart.version + 1,
                created_at: at,
                updated_at: at,
                expires_at: expires,
            },
            None => CartRow {
                id: CartId::random().to_string(),
                user_id: Some(user_id.to_owned()),
                version: 1,
                created_at: at,
                updated_at: at,
                expires_at: expires,
            },
        };
        let rows = line_rows(&row.id, &lines);
        let (their_id, their_version) = (theirs.id.to_string(), theirs.version);
        let fresh = mine.is_none();
        let outcome: Result<()> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // First the anonymous cart goes (its lines and requests
                // with it), as read: a second merge finds nothing.
                let gone = diesel::delete(
                    carts::table
                        .find(&their_id)
                        .filter(carts::user_id.is_null())
                        .filter(carts::version.eq(their_version)),
                )
                .execute(tx)
                .await?;
                if gone == 0 {
                    return Err(Error::EtagMismatch);
                }
                save(tx.into(), &row, fresh, &rows).await
            })
            .await
        });
        match outcome {
            Ok(()) => Ok((Some(self.cart_by_id(&row.id).await?), report)),
            // A merge or write raced this one: whatever won is the answer
            // (the client may call again; a finished merge changes nothing).
            Err(Error::EtagMismatch) => Err(Error::EtagMismatch),
            Err(e) if e.is_unique_violation() => Err(Error::EtagMismatch),
            Err(e) => Err(e),
        }
    }

    /// The checkout of `user_id`'s cart at `version`: the one made before
    /// (a retry, whatever the cart holds by now), or a new one recording
    /// exactly the lines the cart holds at that version, which must be its
    /// current one ([`Error::EtagMismatch`] otherwise).
    pub async fn begin_checkout(&self, user_id: &str, version: i64) -> Result<Checkout> {
        let owner = Owner::Customer(user_id.to_owned());
        let row = self.cart_row(&owner).await?.ok_or(Error::CartNotFound)?;
        let cart_id = CartId::parse(&row.id).map_err(|e| Error::Corrupt(format!("cart id {e}")))?;
        let request_id = checkout::request_id(cart_id, version);
        if let Some(made) = self.checkout(&request_id).await? {
            return Ok(made);
        }
        if row.version != version {
            return Err(Error::EtagMismatch);
        }
        let lines = checkout::order_lines(&self.load(row).await?)?;
        let at = to_micros(self.clock.now());
        let id = cart_id.to_string();
        let encoded = checkout::encode(&lines);
        let recorded: Result<()> = on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // The lines just read are that version's only if the cart
                // is still at it (a write moves the version first).
                let current: Option<i64> = carts::table
                    .find(&id)
                    .select(carts::version)
                    .first(tx)
                    .await
                    .optional()?;
                if current != Some(version) {
                    return Err(Error::EtagMismatch);
                }
                // Two checkouts of one version at once: both use the row
                // the first wrote, so both place the same order.
                diesel::insert_into(checkouts::table)
                    .values((
                        checkouts::request_id.eq(&request_id),
                        checkouts::cart_id.eq(&id),
                        checkouts::cart_version.eq(version),
                        checkouts::user_id.eq(user_id),
                        checkouts::lines.eq(&encoded),
                        checkouts::state.eq("placing"),
                        checkouts::created_at.eq(at),
                    ))
                    .on_conflict_do_nothing()
                    .execute(tx)
                    .await?;
                Ok(())
            })
            .await
        });
        recorded?;
        self.checkout(&request_id)
            .await?
            .ok_or_else(|| Error::Corrupt("a checkout just recorded is gone".into()))
    }

    /// The checkout recorded under `request_id`, if any.
    async fn checkout(&self, request_id: &str) -> Result<Option<Checkout>> {
        let row: Option<(String, i64, String)> = on_db!(&self.db, |conn| {
            checkouts::table
                .find(request_id)
                .select((
                    checkouts::cart_id,
                    checkouts::cart_version,
                    checkouts::lines,
                ))
                .first(conn)
                .await
                .optional()?
        });
        let Some((cart_id, version, lines)) = row else {
            return Ok(None);
        };
        Ok(Some(Checkout {
            request_id: request_id.to_owned(),
            cart_id: CartId::parse(&cart_id)
                .map_err(|e| Error::Corrupt(format!("checkout cart id {e}")))?,
            version,
            lines: checkout::decode(&lines)
                .ok_or_else(|| Error::Corrupt("checkout lines".into()))?,
        }))
    }

    /// Settles the checkout `request_id` with its order's outcome, once
    /// (see [`settle`]); for an answer the API already has.
    pub async fn settle(
        &self,
        request_id: &str,
        order_id: &str,
        outcome: Settlement,
    ) -> Result<bool> {
        let now = self.clock.now();
        let idle_expiry = self.idle_expiry;
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                settle(tx.into(), request_id, order_id, outcome, now, idle_expiry).await
            })
            .await
        })
    }

    /// Deletes up to `limit` carts idle past their expiry (their lines and
    /// remembered requests go with them), and forgets request ids older
    /// than the idle time. Returns how many carts were deleted.
    pub async fn delete_expired(&self, limit: i64) -> Result<usize> {
        let now = to_micros(self.clock.now());
        let forget_before = now.saturating_sub(micros(self.idle_expiry));
        Ok(on_db!(&self.db, |conn| {
            let due: Vec<String> = carts::table
                .filter(carts::expires_at.le(now))
                .order(carts::expires_at.asc())
                .limit(limit)
                .select(carts::id)
                .load(conn)
                .await?;
            diesel::delete(
                cart_requests::table.filter(cart_requests::created_at.lt(forget_before)),
            )
            .execute(conn)
            .await?;
            diesel::delete(checkouts::table.filter(checkouts::created_at.lt(forget_before)))
                .execute(conn)
                .await?;
            // Still expired when deleted: a write in between saved it.
            diesel::delete(
                carts::table
                    .filter(carts::id.eq_any(&due))
                    .filter(carts::expires_at.le(now)),
            )
            .execute(conn)
            .await?
        }))
    }
}

/// Settles the checkout `request_id` (if it is one and still placing)
/// with its order's outcome, in the caller's transaction, exactly once: a
/// confirmed order's lines leave the cart (a line added to since keeps the
/// difference); either way the cart moves to a new version, so a client
/// with the old etag reads it again and the next checkout is a new order.
/// Returns whether this call settled it (false: unknown, or done before).
pub async fn settle(
    mut conn: Conn<'_>,
    request_id: &str,
    order_id: &str,
    outcome: Settlement,
    now: OffsetDateTime,
    idle_expiry: Duration,
) -> Result<bool> {
    let at = to_micros(now);
    let placing = checkouts::table
        .find(request_id)
        .filter(checkouts::state.eq("placing"));
    let (settled, found): (usize, Option<(String, String)>) = on_conn!(&mut conn, |c| {
        let found = placing
            .select((checkouts::cart_id, checkouts::lines))
            .first(&mut **c)
            .await
            .optional()?;
        // Conditional on 'placing': of a duplicate event and the API
        // settling at once, one changes the cart.
        let settled = diesel::update(placing)
            .set((
                checkouts::state.eq(outcome.as_str()),
                checkouts::order_id.eq(order_id),
                checkouts::settled_at.eq(at),
            ))
            .execute(&mut **c)
            .await?;
        (settled, found)
    });
    let Some((cart_id, lines)) = found.filter(|_| settled == 1) else {
        return Ok(false);
    };
    let cart: Option<CartRow> = on_conn!(&mut conn, |c| {
        carts::table
            .find(&cart_id)
            .select(CartRow::as_select())
            .first(&mut **c)
            .await
            .optional()?
    });
    // A cart deleted meanwhile (expired) has nothing left to change.
    let Some(cart) = cart else {
        return Ok(true);
    };
    let rows: Vec<LineRow> = on_conn!(&mut conn, |c| {
        cart_lines::table
            .filter(cart_lines::cart_id.eq(&cart_id))
            .order(cart_lines::position.asc())
            .select(LineRow::as_select())
            .load(&mut **c)
            .await?
    });
    let mut kept: Vec<Line> = rows.into_iter().map(Line::from).collect();
    if outcome == Settlement::Confirmed {
        let ordered =
            checkout::decode(&lines).ok_or_else(|| Error::Corrupt("checkout lines".into()))?;
        checkout::remove_ordered(&mut kept, &ordered);
    }
    let row = CartRow {
        version: cart.version + 1,
        updated_at: at,
        expires_at: at.saturating_add(micros(idle_expiry)),
        ..cart
    };
    save(conn, &row, false, &line_rows(&cart_id, &kept)).await?;
    Ok(true)
}

/// Writes `row` and its lines `rows` in the caller's transaction: a new
/// cart is inserted; an existing one moves to `row.version` only if it is
/// still at the version before ([`Error::EtagMismatch`] otherwise: another
/// writer got there first), and its lines are replaced.
async fn save(conn: Conn<'_>, row: &CartRow, fresh: bool, rows: &[LineRow]) -> Result<()> {
    on_conn!(conn, |c| {
        if fresh {
            diesel::insert_into(carts::table)
                .values(row)
                .execute(c)
                .await?;
        } else {
            let moved = diesel::update(
                carts::table
                    .find(&row.id)
                    .filter(carts::version.eq(row.version - 1)),
            )
            .set((
                carts::version.eq(row.version),
                carts::updated_at.eq(row.updated_at),
                carts::expires_at.eq(row.expires_at),
            ))
            .execute(c)
            .await?;
            if moved == 0 {
                return Err(Error::EtagMismatch);
            }
            diesel::delete(cart_lines::table.filter(cart_lines::cart_id.eq(&row.id)))
                .execute(c)
                .await?;
        }
        for line in rows {
            diesel::insert_into(cart_lines::table)
                .values(line)
                .execute(c)
                .await?;
        }
        Ok(())
    })
}

/// Records `product` as published by the event with `sequence` (an older
/// event than the last applied changes nothing), and brings the lines that
/// hold it up to date: a new price replaces the line's, keeping the price
/// the customer saw as the previous one; a deleted product's lines become
/// unavailable. Every cart whose lines changed gets a new version, so a
/// client writing with the old etag reads the change first. Runs in the
/// consumer's transaction.
pub async fn product_published(
    conn: Conn<'_>,
    product: &Product,
    sequence: i64,
    now: OffsetDateTime,
) -> Result<(), diesel::result::Error> {
    let at = to_micros(now);
    on_conn!(conn, |c| {
        let last: Option<i64> = products::table
            .find(&product.id)
            .select(products::sequence)
            .first(c)
            .await
            .optional()?;
        if last.is_some_and(|last| last >= sequence) {
            return Ok(());
        }
        let values = (
            products::id.eq(&product.id),
            products::name.eq(&product.name),
            products::price_minor.eq(product.price_minor),
            products::currency.eq(&product.currency),
            products::deleted.eq(product.deleted),
            products::sequence.eq(sequence),
            products::updated_at.eq(at),
        );
        if last.is_some() && product.deleted {
            // A deletion says nothing of the price: the last one stays.
            diesel::update(products::table.find(&product.id))
                .set((
                    products::deleted.eq(true),
                    products::sequence.eq(sequence),
                    products::updated_at.eq(at),
                ))
                .execute(c)
                .await?;
        } else if last.is_some() {
            diesel::update(products::table.find(&product.id))
                .set(values)
                .execute(c)
                .await?;
        } else {
            diesel::insert_into(products::table)
                .values(values)
                .execute(c)
                .await?;
        }

        let of_product = cart_lines::product_id.eq(&product.id);
        let touched: Vec<String> = if product.deleted {
            let touched = cart_lines::table
                .filter(of_product)
                .filter(cart_lines::unavailable.eq(false))
                .select(cart_lines::cart_id)
                .load(c)
                .await?;
            diesel::update(cart_lines::table.filter(of_product))
                .set(cart_lines::unavailable.eq(true))
                .execute(c)
                .await?;
            touched
        } else {
            let repriced = cart_lines::unit_price_minor
                .ne(product.price_minor)
                .or(cart_lines::currency.ne(&product.currency));
            let touched = cart_lines::table
                .filter(of_product)
                .filter(repriced)
                .select(cart_lines::cart_id)
                .load(c)
                .await?;
            // The first price the customer saw stays the previous one...
            diesel::update(
                cart_lines::table
                    .filter(of_product)
                    .filter(repriced)
                    .filter(cart_lines::previous_price_minor.is_null()),
            )
            .set(cart_lines::previous_price_minor.eq(cart_lines::unit_price_minor.nullable()))
            .execute(c)
            .await?;
            diesel::update(cart_lines::table.filter(of_product).filter(repriced))
                .set((
                    cart_lines::unit_price_minor.eq(product.price_minor),
                    cart_lines::currency.eq(&product.currency),
                ))
                .execute(c)
                .await?;
            // ...and a price back where the customer saw it is no change.
            diesel::update(
                cart_lines::table
                    .filter(of_product)
                    .filter(cart_lines::previous_price_minor.eq(product.price_minor)),
            )
            .set(cart_lines::previous_price_minor.eq(None::<i64>))
            .execute(c)
            .await?;
            touched
        };
        if !touched.is_empty() {
            diesel::update(carts::table.filter(carts::id.eq_any(&touched)))
                .set(carts::version.eq(carts::version + 1))
                .execute(c)
                .await?;
        }
        Ok(())
    })
}
