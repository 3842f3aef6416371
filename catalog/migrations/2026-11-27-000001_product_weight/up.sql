-- The same SQL on SQLite and PostgreSQL.

-- Shipping weight of one unit, packed, in grams (0 to 1000000); 0 means
-- not known (shipping quotes then count a default weight).
ALTER TABLE products ADD COLUMN weight_grams INTEGER NOT NULL DEFAULT 0
    CHECK (weight_grams BETWEEN 0 AND 1000000);

-- The demo catalog's products (fixed ids, see data/demo-products.json),
-- seeded before weights existed, get their packed weights. Ids that are
-- not there (no demo seeded) update nothing.
UPDATE products SET weight_grams = 280 WHERE id = '00000000-0000-7000-8000-000000000001' AND weight_grams = 0;
UPDATE products SET weight_grams = 280 WHERE id = '00000000-0000-7000-8000-000000000002' AND weight_grams = 0;
UPDATE products SET weight_grams = 1050 WHERE id = '00000000-0000-7000-8000-000000000003' AND weight_grams = 0;
UPDATE products SET weight_grams = 280 WHERE id = '00000000-0000-7000-8000-000000000004' AND weight_grams = 0;
UPDATE products SET weight_grams = 130 WHERE id = '00000000-0000-7000-8000-000000000005' AND weight_grams = 0;
UPDATE products SET weight_grams = 240 WHERE id = '00000000-0000-7000-8000-000000000006' AND weight_grams = 0;
UPDATE products SET weight_grams = 90 WHERE id = '00000000-0000-7000-8000-000000000007' AND weight_grams = 0;
UPDATE products SET weight_grams = 2400 WHERE id = '00000000-0000-7000-8000-000000000008' AND weight_grams = 0;
UPDATE products SET weight_grams = 450 WHERE id = '00000000-0000-7000-8000-000000000009' AND weight_grams = 0;
UPDATE products SET weight_grams = 200 WHERE id = '00000000-0000-7000-8000-000000000010' AND weight_grams = 0;
UPDATE products SET weight_grams = 900 WHERE id = '00000000-0000-7000-8000-000000000011' AND weight_grams = 0;
UPDATE products SET weight_grams = 1300 WHERE id = '00000000-0000-7000-8000-000000000012' AND weight_grams = 0;
UPDATE products SET weight_grams = 500 WHERE id = '00000000-0000-7000-8000-000000000013' AND weight_grams = 0;
UPDATE products SET weight_grams = 400 WHERE id = '00000000-0000-7000-8000-000000000014' AND weight_grams = 0;
UPDATE products SET weight_grams = 450 WHERE id = '00000000-0000-7000-8000-000000000015' AND weight_grams = 0;
UPDATE products SET weight_grams = 600 WHERE id = '00000000-0000-7000-8000-000000000016' AND weight_grams = 0;
UPDATE products SET weight_grams = 200 WHERE id = '00000000-0000-7000-8000-000000000017' AND weight_grams = 0;
UPDATE products SET weight_grams = 350 WHERE id = '00000000-0000-7000-8000-000000000018' AND weight_grams = 0;
UPDATE products SET weight_grams = 100 WHERE id = '00000000-0000-7000-8000-000000000019' AND weight_grams = 0;
UPDATE products SET weight_grams = 250 WHERE id = '00000000-0000-7000-8000-000000000020' AND weight_grams = 0;
UPDATE products SET weight_grams = 600 WHERE id = '00000000-0000-7000-8000-000000000021' AND weight_grams = 0;
UPDATE products SET weight_grams = 50 WHERE id = '00000000-0000-7000-8000-000000000022' AND weight_grams = 0;
