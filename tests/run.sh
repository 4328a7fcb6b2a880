#!/usr/bin/env bash
# Run every check Handful has, from a fresh clone: installs what it needs first.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}
venv="$root/.venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
# The tests start the command some thousands of times: its modules compiled once, here (on a
# machine with PYTHONDONTWRITEBYTECODE set, Python would compile them anew at every start).
"$venv/bin/python" -m compileall -q agent tests/support >/dev/null

# The browser tests need a real Chromium and Firefox ESR (Debian's; Playwright and Marionette
# drive them, nothing downloads a browser of its own); the tray tests a virtual screen with a
# system tray (Xvfb, trayer), xwininfo and ImageMagick's import, and a D-Bus daemon; the
# languages test a French Firefox ESR (Debian's language pack); the sync tests a real
# Syncthing pair on loopback.
needs="chromium firefox-esr firefox-esr-l10n-fr xvfb trayer x11-utils imagemagick dbus syncthing"
missing=""
for tool in chromium firefox-esr Xvfb trayer xwininfo import dbus-daemon syncthing; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -e /usr/lib/firefox-esr/browser/extensions/langpack-fr@firefox-esr.mozilla.org.xpi ] \
  || missing="$missing firefox-esr-l10n-fr"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing$missing ($needs)"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $needs >/dev/null
  else
    echo "tests: missing$missing: sudo apt-get install $needs" >&2
    exit 1
  fi
fi
export PATH="$venv/bin:$PATH"

# eslint and web-ext (npm) for the extension.
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error

echo "== eslint"; npx --no-install eslint extension
echo "== tsc --checkJs (the extension's JavaScript against types/handful.d.ts and chrome's types)"; npx --no-install tsc -p tsconfig.json
echo "== web-ext lint"; npx --no-install web-ext lint --source-dir extension --self-hosted --output text
echo "== ruff"; ruff check agent tests bench
echo "== mypy --strict"; mypy
echo "== import-linter (the layers)"; lint-imports --no-cache
# Two workers (a file's tests together, --dist loadfile): about 12 instead of 21 minutes here,
# since most of it waits on browsers, agents and timers. HANDFUL_TEST_WORKERS=0: one process.
echo "== pytest"; pytest -n "${HANDFUL_TEST_WORKERS:-2}" --dist loadfile --durations=15 "$@"
