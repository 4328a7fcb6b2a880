#!/usr/bin/env bash
# Install Handful for this user and start it: an isolated environment, the package, the store,
# the native host registered with every browser found, the agent started now and at login.
# Safe to run again: it upgrades in place and never overwrites an existing store.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "install: Handful needs Python 3.11 or newer ($python is $("$python" -V 2>&1))" >&2
  exit 1
fi
venv="$root/.venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root"
handful="$venv/bin/handful"

# `handful` on PATH, as pipx does it: a link in ~/.local/bin (XDG_BIN_HOME where set), never
# over a file of someone else's there.
bin_dir=${XDG_BIN_HOME:-$HOME/.local/bin}
mkdir -p "$bin_dir"
if [ -e "$bin_dir/handful" ] && [ ! -L "$bin_dir/handful" ]; then
  echo "install: $bin_dir/handful exists and is not Handful's link: left as it is" >&2
else
  ln -sfn "$handful" "$bin_dir/handful"
fi
case ":$PATH:" in
  *":$bin_dir:"*) on_path=yes ;;
  *) on_path="" ;;
esac

# The key: the OS keyring where there is one, else a passphrase (asked for here if we can).
# init's own message is kept for when nothing here can help (4: no key could be had).
init_rc=0
{ init_err=$("$handful" init 2>&1 1>&3 3>&-) || init_rc=$?; } 3>&1
if [ "$init_rc" -ne 0 ]; then
  if [ "$init_rc" -eq 4 ] && [ -z "${HANDFUL_PASSPHRASE:-}" ] && [ -t 0 ]; then
    echo "There is no OS keyring on this machine (GNOME Keyring, KWallet, macOS Keychain or"
    echo "Windows Credential Manager), so Handful will protect your store with a passphrase."
    read -r -s -p "Passphrase: " first; echo
    read -r -s -p "Again: " second; echo
    if [ -z "$first" ] || [ "$first" != "$second" ]; then
      echo "install: the passphrases are empty or differ; nothing was created" >&2
      exit 1
    fi
    HANDFUL_PASSPHRASE=$first "$handful" init
    echo
    echo "Handful reads the passphrase from HANDFUL_PASSPHRASE: set it in your session"
    echo "(for example in ~/.profile) so every handful command and the agent can open the store."
    export HANDFUL_PASSPHRASE=$first
  else
    printf '%s\n' "$init_err" >&2
    exit 1
  fi
fi

# Every browser found can start the host; the agent starts at login, and now.
"$handful" install
"$handful" start
echo
"$handful" status
echo
extension=$("$handful" extension-path)
if [ -n "$on_path" ]; then
  echo "Installed: handful ($bin_dir/handful -> $handful)."
else
  echo "Installed: $bin_dir/handful -> $handful."
  echo "Warning: $bin_dir is not on your PATH, so typing 'handful' will not find it: add it"
  echo "  (for example in ~/.profile: export PATH=\"$bin_dir:\$PATH\"), then open a new terminal."
fi
cat <<EOF

What is left for you: load the extension from $extension
  Chrome, Chromium, Edge, Brave, Vivaldi: open chrome://extensions (Edge: edge://extensions),
    turn on "Developer mode", click "Load unpacked" and pick that folder.
  Firefox: open about:debugging#/runtime/this-firefox, click "Load Temporary Add-on…" and
    pick manifest.json in that folder (until Firefox restarts; see docs/install.md).
  Or try it at once in a browser profile of its own: $handful browser
If something does not work: $handful doctor
EOF
# On a desktop, at a terminal: end in a browser with Handful loaded.
if [ -t 1 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${HANDFUL_NO_BROWSER:-}" ]; then
  "$handful" browser || true
fi
