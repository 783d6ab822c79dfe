# One image for the platform's Python services (ingest API, Dagster code, chatbot); the compose
# file picks the command. Superset has its own image (superset_config/Dockerfile).
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 PATH="/app/.venv/bin:$PATH"
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY sdk/pyproject.toml sdk/README.md sdk/
RUN mkdir -p sdk/src/ollive_sdk && touch sdk/src/ollive_sdk/__init__.py \
    && uv sync --frozen --no-dev --no-install-workspace
COPY . .
RUN uv sync --frozen --no-dev
USER 1000
