# bridgeboard as a container: built without the simulators, run as an
# unprivileged user, checked by its own `healthcheck` command (no curl).
# Needs BuildKit (the default in current Docker) for the cache mounts.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The registry and the target directory live in cache mounts, so a rebuild
# after a source change compiles only this crate, not its ~400 dependencies.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --no-default-features --bin bridgeboard \
    && install -D target/release/bridgeboard /out/bridgeboard

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/bridgeboard --create-home bridgeboard
COPY --from=build /out/bridgeboard /usr/local/bin/bridgeboard
USER bridgeboard
WORKDIR /var/lib/bridgeboard
ENV HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/bridgeboard \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bridgeboard", "healthcheck"]
ENTRYPOINT ["bridgeboard"]
CMD ["serve"]
