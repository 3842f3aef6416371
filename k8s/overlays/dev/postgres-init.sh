#!/bin/bash
# Runs once, when the PostgreSQL data directory is first created (the image's
# /docker-entrypoint-initdb.d): one database and one user per service, each
# user owning only its database. Passwords come from the postgres-secrets
# Secret (<SERVICE>_DB_PASSWORD), the same ones in each service's DATABASE_URL;
# which services have one is what k8s/secrets.sh wrote there, from the list
# of services at the repo root.
set -euo pipefail

for var in $(compgen -e | grep '_DB_PASSWORD$'); do
    service="$(tr '[:upper:]' '[:lower:]' <<<"${var%_DB_PASSWORD}")"
    password=${!var}
    psql -v ON_ERROR_STOP=1 --no-psqlrc \
        --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        -v name="$service" -v password="$password" <<'SQL'
CREATE USER :"name" WITH PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "postgres-init: database and user $service"
done
