#!/usr/bin/env bash
# Run every check Handful has, from a fresh clone: installs what it needs first.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}
venv="$root/.venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
export PATH="$venv/bin:$PATH"

echo "== ruff"; ruff check agent tests bench
echo "== mypy --strict"; mypy
echo "== pytest"; pytest "$@"
