DROP TABLE charge_voids;
