DROP TABLE ledger_entries;
DROP FUNCTION ledger_entries_append_only();
DROP TABLE top_ups;
DROP TABLE wallets;
DROP TABLE refunds;
DROP TABLE charge_leases;
DROP TABLE payments;
