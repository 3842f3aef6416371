DROP INDEX reservation_lines_by_product;
DROP INDEX products_by_price;
DROP INDEX products_by_name;
