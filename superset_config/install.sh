#!/usr/bin/env bash
# Superset in its own virtualenv (superset_config/.venv) from the committed lock: its pins
# (Flask, SQLAlchemy, pandas, …) conflict with the pipeline's, so it never shares the root venv.
set -euo pipefail
cd "$(dirname "$0")"
UV="${UV:-$(command -v uv || echo "$HOME/.local/bin/uv")}"
# An exported UV_PROJECT_ENVIRONMENT would point this project at another venv.
unset UV_PROJECT_ENVIRONMENT VIRTUAL_ENV
"$UV" sync --frozen --python 3.11 --quiet
.venv/bin/python -c "import superset, clickhouse_connect, flask_caching" \
  && echo "superset: $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("apache-superset"))') in superset_config/.venv"
