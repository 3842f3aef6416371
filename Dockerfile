# syntax=docker/dockerfile:1
#
# One image for all seven services: gateway, catalog, orders, payments,
# notifications, cart and fulfilment.
# The container command picks the binary (/usr/local/bin/<service>); see
# k8s/README.md for why there is one image rather than four.
#
#   docker build --build-arg SHOP_GIT_COMMIT=$(git rev-parse --short=12 HEAD) -t shop:dev .
#   docker run --rm shop:dev /usr/local/bin/catalog --help
#
# The storefront (web/dist) is committed and embedded into the gateway at
# compile time, so no Node stage is needed.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# .git stays out of the context; the commit comes in as an argument and
# shows in `--version` and the shop_build_info metric.
ARG SHOP_GIT_COMMIT=unknown
COPY . .
# The cache mounts keep the registry and the build output between builds;
# the binaries (one a service of the `services` list) are copied out of
# the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    services=$(awk '!/^#/ && NF { print $1 }' services) \
    && cargo build --release --locked $(printf -- '-p %s ' $services) \
    && mkdir -p /out \
    && for service in $services; do cp "target/release/$service" /out/; done

# glibc and libgcc, nothing else: no shell, no package manager. The :nonroot
# tag runs as uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
EXPOSE 8080 50051 50052 50053 50054 50055 50056 9090
CMD ["/usr/local/bin/gateway"]
