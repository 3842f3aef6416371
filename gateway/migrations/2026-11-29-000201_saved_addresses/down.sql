DROP TABLE saved_addresses;
