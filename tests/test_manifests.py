"""The host manifests and launcher: valid, exact ids, and the launcher really runs the host."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

from handful.identity import CHROME_ID, FIREFOX_ID
from handful.install.manifests import write_host
from tests.conftest import Home
from tests.hostkit import EXTENSION, LENGTH


def test_manifests_hold_exact_ids_and_an_absolute_launcher(tmp_path: Path) -> None:
    script, chrome, firefox = write_host(tmp_path, chrome=["a" * 32, "not-a-chrome-id"],
                                         firefox=["handful@test"])
    assert chrome is not None and firefox is not None
    c = json.loads(chrome.read_text())
    assert c["name"] == "com.handful.agent" and c["type"] == "stdio"
    assert Path(c["path"]) == script and Path(c["path"]).is_absolute()
    assert "chrome-extension://" + "a" * 32 + "/" in c["allowed_origins"]
    assert all(o.startswith("chrome-extension://") and o.endswith("/") and "*" not in o
               for o in c["allowed_origins"])
    assert not any("not-a-chrome-id" in o for o in c["allowed_origins"])
    f = json.loads(firefox.read_text())
    assert "handful@test" in f["allowed_extensions"] and "allowed_origins" not in f
    assert script.stat().st_mode & 0o111


def test_the_launcher_runs_the_host(store: Home, tmp_path: Path) -> None:
    script, _, _ = write_host(tmp_path / "nm", chrome=[])
    body = json.dumps({"id": "hello", "type": "ping"}).encode()
    env = {**store.env, "HANDFUL_EXTENSION_IDS": EXTENSION}
    try:
        result = subprocess.run([str(script), f"chrome-extension://{EXTENSION}/"],
                                input=LENGTH.pack(len(body)) + body, capture_output=True,
                                env=env, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        (length,) = LENGTH.unpack(result.stdout[:4])
        assert json.loads(result.stdout[4:4 + length]) == {
            "id": "hello", "ok": True, "result": {"pong": True}}
    finally:
        store.run("stop")


def test_the_chrome_id_is_the_one_the_manifest_key_gives() -> None:
    """Chrome's id of an unpacked extension with a `key`: the first 32 hex digits of the
    SHA-256 of the key's DER bytes, each digit written as a letter a-p."""
    manifest = json.loads((Path(__file__).parent.parent / "extension" / "manifest.json")
                           .read_text())
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    assert "".join(chr(ord("a") + int(d, 16)) for d in digest) == CHROME_ID
    assert manifest["browser_specific_settings"]["gecko"]["id"] == FIREFOX_ID
