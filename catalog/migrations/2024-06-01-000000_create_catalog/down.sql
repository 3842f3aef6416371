DROP TABLE stock_adjustments;
DROP TABLE reservation_lines;
DROP TABLE reservations;
DROP TABLE stock;
DROP TABLE products;
