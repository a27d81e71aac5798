#!/usr/bin/env bash
# The linters, as OCA's CI runs them (part of `make test`; alone: `bash scripts/lint.sh`):
#   ruff (ruff.toml) on all Python, pylint with pylint-odoo (.pylintrc) on the addon,
#   eslint (eslint.config.js) on static/. Exit 1 on any finding; every tool runs regardless.
# Its last line is "[lint] findings in: <tools>" or "[lint] clean".
# The tools come from scripts/setup.sh (requirements-dev.txt into the venv, package.json into
# $RT/node_modules); run `make setup` first if one is missing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ADDON_DIR" || exit 1
failed=()
run() {  # run NAME COMMAND...
  local name=$1; shift
  if ! "$@"; then failed+=("$name"); fi
}
run ruff "$VENV/bin/ruff" check --no-cache --quiet --output-format concise .
# Without Odoo on the path: the pylint-odoo checks read the source, and inferring into Odoo
# would only make the run slower.
run pylint-odoo env -u PYTHONPATH "$VENV/bin/pylint" --rcfile=.pylintrc --persistent=n .
run eslint env NODE_PATH="$RT/node_modules" "$RT/node_modules/.bin/eslint" --max-warnings 0 --no-warn-ignored static
if ((${#failed[@]})); then
  echo "[lint] findings in: ${failed[*]}"
  exit 1
fi
echo "[lint] clean"
