# Sourced by scripts/demo and scripts/test: make .venv and install the project once per pyproject change.
# Usage: ensure_venv "extras" (e.g. "" or "test,bench").
ensure_venv() {
  local extras="$1" py="${PYTHON:-python3}" spec="." stamp
  [ -n "$extras" ] && spec=".[${extras}]"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv" >&2
    "$py" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip >&2
  fi
  stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extras:-base}"
  if [ ! -f "$stamp" ]; then
    echo "==> installing hotline ${spec}" >&2
    .venv/bin/python -m pip install -q -e "$spec" >&2
    touch "$stamp"
  fi
}
