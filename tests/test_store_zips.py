"""The two store packages (installers/store_zips.py): the same bytes every time, each manifest
right for its store, the Firefox one clean under Mozilla's own linter, the Chrome one loading
in Chromium; and one version everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from handful import __version__
from tests.bare_browser import Worker, devtools_port
from tests.browser import CHROMIUM, EXTENSION_ID
from tests.conftest import ROOT

BUILD = ROOT / "installers" / "store_zips.py"
SOURCE = json.loads((ROOT / "extension" / "manifest.json").read_text())


def build(out: Path) -> dict[str, Path]:
    done = subprocess.run([sys.executable, str(BUILD), "-o", str(out)], capture_output=True,
                          text=True, timeout=60, check=True)
    built = {Path(line).name.split("-")[-1].removesuffix(".zip"): Path(line)
             for line in done.stdout.split()}
    assert set(built) == {"chrome", "firefox"}, done.stdout
    return built


def manifest_of(package: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(zipfile.ZipFile(package).read("manifest.json"))
    return found


def test_one_version_everywhere() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'attr = "handful.__version__"' in pyproject
    assert SOURCE["version"] == __version__
    done = subprocess.run([sys.executable, "-m", "handful", "--version"], capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"handful {__version__}"


def test_the_store_zips_are_reproducible_and_right_for_each_store(tmp_path: Path) -> None:
    first, second = build(tmp_path / "a"), build(tmp_path / "b")
    for store in ("chrome", "firefox"):
        assert first[store].read_bytes() == second[store].read_bytes(), store
        assert first[store].name == f"handful-{__version__}-{store}.zip"
    shipped = sorted(p.relative_to(ROOT / "extension").as_posix()
                     for p in (ROOT / "extension").rglob("*") if p.is_file())
    for package in first.values():
        assert sorted(zipfile.ZipFile(package).namelist()) == shipped
        assert manifest_of(package)["version"] == __version__

    chrome = manifest_of(first["chrome"])
    assert "key" not in chrome and "browser_specific_settings" not in chrome
    assert chrome["background"] == {"service_worker": "background.js"}
    firefox = manifest_of(first["firefox"])
    assert "key" not in firefox and "service_worker" not in firefox["background"]
    assert firefox["background"]["scripts"] == SOURCE["background"]["scripts"]
    assert firefox["browser_specific_settings"] == SOURCE["browser_specific_settings"]
    assert firefox["browser_specific_settings"]["gecko"]["data_collection_permissions"] == {
        "required": ["none"]}
    unchanged = {"key", "background", "browser_specific_settings"}
    for doc in (chrome, firefox):
        assert {k: v for k, v in doc.items() if k not in unchanged} == \
            {k: v for k, v in SOURCE.items() if k not in unchanged}

    # Mozilla's linter, as addons.mozilla.org runs it on an upload: nothing to say.
    linted = subprocess.run(["npx", "--no-install", "addons-linter", "--output", "json",
                             str(first["firefox"])], capture_output=True, text=True,
                            timeout=180, check=False, cwd=ROOT)
    report = json.loads(linted.stdout)
    assert report["summary"] == {"errors": 0, "notices": 0, "warnings": 0}, report


def test_chromium_loads_the_chrome_package_unpacked(tmp_path: Path) -> None:
    package = build(tmp_path / "dist")["chrome"]
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(package).extractall(unpacked)
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--remote-debugging-port=0",
         f"--disable-extensions-except={unpacked}", f"--load-extension={unpacked}",
         "about:blank"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        worker = Worker(devtools_port(tmp_path / "profile", lambda: browser.poll() is None),
                        extension_id=None)
        try:
            loaded = worker.evaluate("({id: chrome.runtime.id, manifest: chrome.runtime"
                                     ".getManifest()})")
        finally:
            worker.close()
    finally:
        browser.terminate()
        browser.wait(10)
    # Without `key` the browser (or the store) gives the id: the host must allow it
    # (`handful install --extension-id`, docs/install.md).
    assert loaded["id"] != EXTENSION_ID
    assert loaded["manifest"]["version"] == __version__ and "key" not in loaded["manifest"]
