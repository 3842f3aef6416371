#!/usr/bin/env bash
# Makes the files an overlay's secretGenerator reads, in
# k8s/overlays/OVERLAY/secrets/ (git-ignored): the token keys, each
# service's DATABASE_URL, AMQP_URL and page-token secret, and for dev the
# PostgreSQL and RabbitMQ passwords. Never overwrites a file that exists,
# so it also fills gaps: a missing file, or a service's missing AMQP_URL
# (appended to its existing .env).
#
#   k8s/secrets.sh dev
#   CATALOG_DATABASE_URL=postgres://... ORDERS_DATABASE_URL=... \
#   PAYMENTS_DATABASE_URL=... NOTIFICATIONS_DATABASE_URL=... \
#   NOTIFICATIONS_SMTP_URL=smtps://USER:PASSWORD@smtp.example.com \
#   GATEWAY_DATABASE_URL=... AMQP_URL=amqps://USER:PASSWORD@broker:5671/%2f \
#   k8s/secrets.sh production
#
# dev gets passwords for its in-cluster PostgreSQL and RabbitMQ, and
# DATABASE_URLs and AMQP_URLs to them; any other overlay uses external
# databases and an external broker: their URLs come from
# <SERVICE>_DATABASE_URL and <SERVICE>_AMQP_URL (or AMQP_URL, for every
# service), or are placeholders to edit.
#
# The services come from the list at the repo root (../services), those
# with a database get a DATABASE_URL. Needs bash, awk and openssl. See
# k8s/README.md for what each file is.
set -euo pipefail

usage() { echo "usage: $0 OVERLAY [SECRETS_DIR]   (OVERLAY: dev, production, ...)" >&2; exit 2; }
[ $# -ge 1 ] || usage
overlay=$1
k8s=$(cd "$(dirname "$0")" && pwd)
[ -f "$k8s/overlays/$overlay/kustomization.yaml" ] || usage
# dev runs its own PostgreSQL; every other overlay uses external databases.
dir=${2:-"$k8s/overlays/$overlay/secrets"}

umask 077
mkdir -p "$dir"
cd "$dir"

made() { echo "  made $dir/$1"; }
random() { openssl rand -hex 32; }

# Ed25519 key pairs: PKCS#8 private key, SPKI public key (what the services read).
for name in gateway orders; do
    if [ ! -f "$name.pem" ]; then
        openssl genpkey -algorithm ed25519 -out "$name.pem"
        rm -f "$name.pub.pem"
        made "$name.pem"
    fi
    if [ ! -f "$name.pub.pem" ]; then
        openssl pkey -in "$name.pem" -pubout -out "$name.pub.pem"
        made "$name.pub.pem"
    fi
done

# Every service of the list has a database today; a new one without sets
# "no" in the list's third column.
mapfile -t services < <(awk '!/^#/ && NF && $3 == "yes" { print $1 }' "$k8s/../services")
[ ${#services[@]} -gt 0 ] || { echo "$0: no services in $k8s/../services" >&2; exit 1; }
upper() { tr '[:lower:]' '[:upper:]' <<<"$1"; }

if [ "$overlay" = dev ]; then
    # The in-cluster PostgreSQL: a superuser password and one per service.
    if [ ! -f postgres.env ]; then
        {
            echo "POSTGRES_PASSWORD=$(random)"
            for service in "${services[@]}"; do
                echo "$(upper "$service")_DB_PASSWORD=$(random)"
            done
        } >postgres.env
        made postgres.env
    fi
    # shellcheck disable=SC1091
    . ./postgres.env
    # The in-cluster RabbitMQ: its one user (every service connects as it),
    # that user's password and the Erlang cookie (the CLI tools, probes
    # included, authenticate to the node with it).
    if [ ! -f rabbitmq.env ]; then
        {
            echo "RABBITMQ_DEFAULT_USER=shop"
            echo "RABBITMQ_DEFAULT_PASS=$(random)"
            echo "RABBITMQ_ERLANG_COOKIE=$(random)"
        } >rabbitmq.env
        made rabbitmq.env
    fi
    # shellcheck disable=SC1091
    . ./rabbitmq.env
fi

missing_urls=()
missing_smtp=()
for service in "${services[@]}"; do
    file="$service.env"
    [ -f "$file" ] && continue
    if [ "$overlay" = dev ]; then
        var="$(upper "$service")_DB_PASSWORD"
        url="postgres://$service:${!var}@postgres:5432/$service"
    else
        var="$(upper "$service")_DATABASE_URL"
        url=${!var:-}
        if [ -z "$url" ]; then
            url="postgres://$service:CHANGE-ME@$service-db.example.internal:5432/$service"
            missing_urls+=("$dir/$file")
        fi
    fi
    {
        echo "DATABASE_URL=$url"
        if [ "$service" = gateway ]; then
            echo "# To create or reset an admin at start, uncomment both:"
            echo "# ADMIN_EMAIL=admin@example.com"
            echo "# ADMIN_PASSWORD=$(random)"
        else
            # Replicas of one service must share it (page tokens).
            echo "PAGE_TOKEN_SECRET=$(random)"
        fi
        if [ "$service" = notifications ]; then
            # The mail server, credentials included. Without one (dev), the
            # emails are .eml files in the pod's /var/lib/shop/mail.
            if [ "$overlay" = dev ]; then
                echo "# SMTP_URL=smtp://USER:PASSWORD@smtp.example.com:587?tls=required"
            elif [ -n "${NOTIFICATIONS_SMTP_URL:-}" ]; then
                echo "SMTP_URL=$NOTIFICATIONS_SMTP_URL"
            else
                echo "SMTP_URL=smtp://CHANGE-ME:CHANGE-ME@smtp.example.internal:587?tls=required"
                missing_smtp+=("$dir/$file")
            fi
        fi
    } >"$file"
    made "$file"
done

# Every service publishes or consumes events through RabbitMQ, so each
# .env gets an AMQP_URL, those made before it existed included (appended).
mapfile -t all_services < <(awk '!/^#/ && NF { print $1 }' "$k8s/../services")
missing_amqp=()
for service in "${all_services[@]}"; do
    file="$service.env"
    [ -f "$file" ] && grep -q '^AMQP_URL=' "$file" && continue
    if [ "$overlay" = dev ]; then
        url="amqp://$RABBITMQ_DEFAULT_USER:$RABBITMQ_DEFAULT_PASS@rabbitmq:5672/%2f"
    else
        var="$(upper "$service")_AMQP_URL"
        url=${!var:-${AMQP_URL:-}}
        if [ -z "$url" ]; then
            url="amqps://shop:CHANGE-ME@rabbitmq.example.internal:5671/%2f"
            missing_amqp+=("$dir/$file")
        fi
    fi
    # The events broker (the exchange shop.events; each service declares
    # what it uses at start).
    # (After a last line that lacks its newline, if edited by hand.)
    if [ -s "$file" ] && [ -n "$(tail -c 1 "$file")" ]; then echo >>"$file"; fi
    echo "AMQP_URL=$url" >>"$file"
    echo "  added AMQP_URL to $dir/$file"
done

for file in "${missing_urls[@]}"; do
    echo "  EDIT $file: DATABASE_URL is a placeholder" >&2
done
for file in "${missing_smtp[@]}"; do
    echo "  EDIT $file: SMTP_URL is a placeholder" >&2
done
for file in "${missing_amqp[@]}"; do
    echo "  EDIT $file: AMQP_URL is a placeholder" >&2
done
