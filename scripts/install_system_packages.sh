#!/usr/bin/env bash
# Debian packages the project needs beyond Python: headless Chromium (Superset browser tests),
# iproute2 (`ss`, used by the loopback checks), PostgreSQL's server (the stack's `postgres`
# profile; ollive/stack/postgres.py runs it from /usr/lib/postgresql/<major>/bin) and
# util-linux's `unshare` (it runs that server unprivileged when we are root). Installs only what
# is missing. The profile never uses a cluster the package itself may create (port 5432): it
# keeps its own under the state directory, on its own port.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v ss >/dev/null 2>&1 || need+=(iproute2)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
