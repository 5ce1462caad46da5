#!/usr/bin/env bash
# Set up everything readiness-tui needs on a fresh Debian machine, idempotently.
#   scripts/setup.sh          venv + Python packages (enough to run the tool)
#   scripts/setup.sh --test   also the system services the tests start (PostgreSQL, Redis,
#                             dockerd, gnome-keyring, tmux, ab, ...)
# The venv is .venv in the checkout (or $READINESS_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1
VENV="${READINESS_VENV:-$PWD/.venv}"
PY="${PYTHON:-python3}"

log() { printf '[setup] %s\n' "$*" >&2; }

if [ "$want_test" = 1 ]; then
  need_pkgs=()
  command -v git >/dev/null || need_pkgs+=(git)
  command -v tmux >/dev/null || need_pkgs+=(tmux)
  command -v redis-server >/dev/null || need_pkgs+=(redis-server)
  command -v dockerd >/dev/null || need_pkgs+=(docker.io)
  [ -x /bin/busybox ] || command -v busybox >/dev/null || need_pkgs+=(busybox-static)
  command -v gnome-keyring-daemon >/dev/null || need_pkgs+=(gnome-keyring)
  command -v dbus-run-session >/dev/null || need_pkgs+=(dbus)
  command -v ab >/dev/null || need_pkgs+=(apache2-utils)
  command -v ssh-keygen >/dev/null || need_pkgs+=(openssh-client)
  command -v crontab >/dev/null || need_pkgs+=(cron)
  command -v zsh >/dev/null || need_pkgs+=(zsh)    # the completion scripts are checked with each shell
  command -v fish >/dev/null || need_pkgs+=(fish)
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || need_pkgs+=(pgbouncer)
  if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need_pkgs+=(postgresql)
  fi
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing system packages: ${need_pkgs[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    else
      log "missing system packages (install them as root): ${need_pkgs[*]}"
    fi
  fi
  # PostgreSQL refuses to run as root: the test fixtures run it as this unprivileged user.
  if [ "$(id -u)" = 0 ] && ! id readiness-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin readiness-pg 2>/dev/null || true
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.readiness-installed"
digest=$(sha256sum pyproject.toml | cut -d' ' -f1)-$want_test
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ] || [ ! -x "$VENV/bin/readiness" ]; then
  extras="."
  [ "$want_test" = 1 ] && extras=".[test,bench]"
  log "installing Python packages ($extras)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$extras"
  echo "$digest" > "$stamp"
fi
