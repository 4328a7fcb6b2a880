"""What waits in the browser profile is sealed to the agent: the extension encrypts each
queued event to this device's agent key (RSA-OAEP-256 wrapping AES-256-GCM), so the
profile on disk holds no queued event in the clear, and only the agent opens them."""

from __future__ import annotations

import base64
import json
import os
import struct
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.browser import EXTENSION_ID, Browser, dialog_gone, open_dialog
from tests.conftest import Home
from tests.hostkit import Host

FRAME = struct.Struct("=I")
NOTE = "a private note about the Quokka Founders"


def seal(key: dict[str, str], message: dict[str, Any]) -> dict[str, Any]:
    """As the extension seals (background/seal.js), in Python."""
    public = serialization.load_der_public_key(base64.b64decode(key["spki"]))
    aes, iv = os.urandom(32), os.urandom(12)
    c = AESGCM(aes).encrypt(iv, json.dumps(message).encode(), None)
    k = public.encrypt(aes, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),  # type: ignore[union-attr]
                                         algorithm=hashes.SHA256(), label=None))
    return {"type": "sealed", "kid": key["kid"], "k": base64.b64encode(k).decode(),
            "iv": base64.b64encode(iv).decode(), "c": base64.b64encode(c).decode()}


def test_the_agent_opens_what_was_sealed_to_it_and_nothing_else(store: Home) -> None:
    host = Host(store)
    try:
        key = host.ask({"id": 1, "type": "status"})["result"]["agent"]["queue_key"]
        assert len(key["kid"]) == 16 and len(base64.b64decode(key["spki"])) > 400
        keys_file = store.state / "queue-keys.json"
        assert NOTE.encode() not in keys_file.read_bytes()
        assert b"PRIVATE" not in keys_file.read_bytes()  # sealed under the data key
        event = {"type": "join_declined", "event": {
            "id": "sealed-1", "group": {"platform": "linkedin", "id": "42", "name": "Q"},
            "reasons": ["invited"], "note": NOTE}}
        reply = host.ask({"id": 7, **seal(key, event)})
        assert reply == {"id": 7, "ok": True, "result": reply["result"]}
        assert reply["result"]["stored"] is True and reply["result"]["event"]["note"] == NOTE
        # altered, to an unknown key, or a sealed message inside a sealed one: refused
        sealed = seal(key, event)
        tampered = {**sealed, "c": base64.b64encode(b"x" + base64.b64decode(sealed["c"])[1:])
                    .decode()}
        for bad, why in ((tampered, "does not open"),
                         ({**sealed, "kid": "00" * 8}, "a key this agent does not hold"),
                         (seal(key, seal(key, event)), "holds a plain one")):
            refused = host.ask({"id": 8, **bad})
            assert refused["ok"] is False and why in refused["error"]["message"], refused
        # the key survives a restart of the agent (state/queue-keys.json)
        store.ok("stop")
        again = host.ask({"id": 9, "type": "status"})["result"]["agent"]["queue_key"]
        assert again == key
    finally:
        host.finish()
        store.run("stop")


def test_content_scripts_read_nothing_sensitive_from_storage() -> None:
    """What runs in the sites' pages reads from storage only the guard's pause, the taught
    join buttons and the "ask me later" keys; the cache, the queue and the reminders reach
    no content script (the dialog's frame asks the background for what it shows)."""
    import re

    content = Path(__file__).resolve().parent.parent / "extension" / "content"
    read: set[str] = set()
    for script in content.glob("*.js"):
        text = script.read_text()
        assert "storage.session" not in text, script.name
        for keys in re.findall(r"storage\.local\.get\(([^)]*)\)", text):
            read |= set(re.findall(r'"([A-Za-z]+)"', keys))
        read |= set(re.findall(r"changes\.([A-Za-z]+)", text))
    assert read == {"guard", "rules", "askLater"}, read


def storage_files(profile: Path) -> bytes:
    folder = profile / "Default" / "Local Extension Settings" / EXTENSION_ID
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_the_profile_holds_queued_events_sealed(browser: Browser, tmp_path: Path) -> None:
    worker = browser.worker
    browser.home.ok("config", "set", "guard.delay_seconds", "0")
    assert worker.evaluate("chrome.storage.local.get('queueKey').then(r => r.queueKey.kid)")
    with browser.agent_kept_away():
        page = browser.page("https://www.linkedin.com/groups/12345/")
        page.click("#join")
        d = open_dialog(page)
        d.locator("textarea[name=give]").fill(NOTE)
        d.locator("textarea[name=get]").fill("Two clients a year")
        d.locator('input[name=involvement][value="comment"]').check()
        d.locator("[data-action=join]").click()
        dialog_gone(page)
        queued = worker.evaluate("chrome.storage.local.get('queue').then(r => r.queue)")
        assert len(queued) >= 2
        assert all(set(q) == {"key", "sealed"} and q["sealed"]["type"] == "sealed"
                   for q in queued)
        assert "Quokka" not in json.dumps(queued) and "join_justified" not in json.dumps(queued)
        # nor on disk, where the browser keeps storage.local (the dialog's memory of recent
        # justifications is in storage.session: memory only)
        disk = storage_files(tmp_path / "profile")
        assert disk and b"Quokka" not in disk and b"join_justified" not in disk
        assert [e["type"] for e in browser.events()] == ["settings_changed"]
    events = browser.wait_for_events(
        lambda evs: any(e["type"] == "join_justified" for e in evs), timeout=90)
    [justified] = [e for e in events if e["type"] == "join_justified"]
    assert justified["give"] == NOTE  # the agent opened it
    deadline = time.monotonic() + 10
    while worker.evaluate("chrome.storage.local.get('queue').then(r => r.queue.length)"):
        assert time.monotonic() < deadline, "acknowledged events stay queued"
        time.sleep(0.05)
    # The dialog still knows the justifications given this session (from memory, not disk):
    # the same words for another group are refused.
    fb = browser.page("https://www.facebook.com/groups/growth.hackers/")
    fb.wait_for_selector("#join")
    fb.click("#join")
    again = open_dialog(fb)
    again.locator("textarea[name=give]").fill(NOTE)
    again.locator("textarea[name=get]").fill("Two clients a year")
    again.locator('input[name=involvement][value="comment"]').check()
    again.locator("[data-action=join]").click()
    again.locator(".error:has-text('same justification')").wait_for()
