# syntax=docker/dockerfile:1

# Build: the whole workspace, with the registry and target directory cached
# between builds. SQLite and libpq are compiled in (bundled); josekit and
# libpq link the system OpenSSL, whose headers this image has.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/porteiro /usr/local/bin/porteiro

# Run: the binary, OpenSSL and CA certificates, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 porteiro \
    && useradd --system --uid 10001 --gid porteiro --home-dir /data --no-create-home porteiro \
    && mkdir -p /data /etc/porteiro \
    && chown porteiro:porteiro /data
COPY --from=build /usr/local/bin/porteiro /usr/local/bin/porteiro

# The SQLite database and, without a configured secret, the development
# secret live in /data. A configuration file, if any, is read from
# /etc/porteiro/porteiro.toml (the working directory).
ENV PORTEIRO_DATA_DIR=/data \
    PORTEIRO_LISTEN=0.0.0.0:8080
VOLUME /data
WORKDIR /etc/porteiro
USER porteiro
EXPOSE 8080

# The slim image has no curl, so the probe speaks HTTP/1.0 over bash's
# /dev/tcp. It asks /healthz (the process serves), not /readyz (the database
# answers), so a database outage does not mark the container unhealthy.
# It assumes port 8080: if PORTEIRO_LISTEN moves the port, override it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '^HTTP/1.[01] 200' <&3"]

ENTRYPOINT ["porteiro"]
CMD ["serve"]
