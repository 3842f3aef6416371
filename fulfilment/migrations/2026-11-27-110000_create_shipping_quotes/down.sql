DROP TABLE shipping_quotes;
