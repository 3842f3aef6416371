-- The same SQL on SQLite and PostgreSQL.

-- ListProducts sorted by name or price pages with a keyset condition on
-- (key, id): these let each page start where the last ended.
CREATE INDEX products_by_name ON products (deleted, name, id);
CREATE INDEX products_by_price ON products (deleted, price_minor, id);

-- ListReservations finds a product's reservations through their lines (the
-- primary key starts with the reservation).
CREATE INDEX reservation_lines_by_product ON reservation_lines (product_id, reservation_id);
