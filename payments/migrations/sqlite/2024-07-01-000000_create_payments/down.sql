DROP TABLE ledger_entries;
DROP TABLE top_ups;
DROP TABLE wallets;
DROP TABLE refunds;
DROP TABLE charge_leases;
DROP TABLE payments;
