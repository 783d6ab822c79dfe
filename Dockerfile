# One image for the platform's Python services (ingest API, Dagster, the init service, chatbot);
# the compose file picks the command. Superset has its own image (superset_config/Dockerfile).
# It runs as UID 1000; every path a service writes is created here and owned by that user, so
# named volumes mounted on them start with the same owner.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11-slim-bookworm
COPY --from=uv /uv /usr/local/bin/uv
ENV PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    PATH="/app/.venv/bin:$PATH" \
    DAGSTER_HOME=/opt/dagster/home
RUN groupadd --gid 1000 ollive \
    && useradd --uid 1000 --gid 1000 --create-home --shell /usr/sbin/nologin ollive
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY sdk/pyproject.toml sdk/README.md sdk/
RUN mkdir -p sdk/src/ollive_sdk && touch sdk/src/ollive_sdk/__init__.py \
    && uv sync --frozen --no-dev --no-install-workspace
COPY . .
# writable at run time: the ingest spool and key store (volume), dbt's target/ and logs/ (the
# code server parses the project at start), Dagster's compute logs (volume)
RUN uv sync --frozen --no-dev \
    && mkdir -p /var/lib/ollive/ingest/spool dbt_project/target dbt_project/logs \
        "$DAGSTER_HOME/storage" \
    && chown -R 1000:1000 /var/lib/ollive dbt_project/target dbt_project/logs "$DAGSTER_HOME"
USER 1000:1000
