DROP TABLE order_shortfalls;
DROP INDEX orders_by_total;
DROP INDEX orders_by_user_total;
DROP INDEX orders_by_number;
ALTER TABLE orders DROP COLUMN number;
