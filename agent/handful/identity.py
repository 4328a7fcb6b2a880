"""Who the native host is, and whom it answers: its name and the extension's ids. A leaf:
stdlib only, imported by the host, the installer, the doctor and the tray alike."""

from __future__ import annotations

NAME = "com.handful.agent"  # the native messaging host's name, in every browser

# The extension's Chrome id: fixed by the manifest's `key` (the first 32 hex digits of the
# SHA-256 of the key's bytes, written with the letters a-p); tests/test_manifests.py computes
# it from extension/manifest.json and checks it is this.
CHROME_ID = "gdojkhmbggmkkagejanincjdehedelok"
FIREFOX_ID = "handful@handful.app"  # browser_specific_settings.gecko.id
EXTENSION_IDS = frozenset({CHROME_ID, FIREFOX_ID})
