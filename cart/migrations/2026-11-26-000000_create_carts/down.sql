DROP TABLE cart_requests;
DROP TABLE cart_lines;
DROP TABLE carts;
DROP TABLE products;
