#!/usr/bin/env python3
"""Build the two store packages of the extension from the one folder, byte for byte the same
every time: `handful-<version>-chrome.zip` for the Chrome Web Store (and Edge Add-ons), which
rejects a manifest with `key`, and `handful-<version>-firefox.zip` for addons.mozilla.org,
whose linter warns about `background.service_worker`. Everything else (the data-collection
declaration included) stays as it is. Standard library only.

    python3 installers/store_zips.py [--extension DIR] [-o OUT]     (default OUT: dist/)

Reproducible: the files in name order, every entry dated 1980-01-01 00:00 with mode 0644,
deflated at level 9, the rewritten manifest as sorted-key JSON; nothing of the machine or the
moment gets in. docs/install.md says how each store and each browser's developer mode load
them.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EPOCH = (1980, 1, 1, 0, 0, 0)
SKIP_PREFIXES = (".",)  # editor and OS droppings (.DS_Store, .swp) never ship


def chrome_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The Chrome Web Store's: no `key` (the store gives the id), no Firefox-only parts."""
    out = {k: v for k, v in manifest.items() if k not in ("key", "browser_specific_settings")}
    out["background"] = {"service_worker": manifest["background"]["service_worker"]}
    return out


def firefox_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """addons.mozilla.org's: background scripts, no service worker, no Chrome `key`."""
    out = {k: v for k, v in manifest.items() if k != "key"}
    out["background"] = {"scripts": list(manifest["background"]["scripts"])}
    return out


STORES = {"chrome": chrome_manifest, "firefox": firefox_manifest}


def files(extension: Path) -> list[Path]:
    found = []
    for path in sorted(extension.rglob("*")):
        relative = path.relative_to(extension)
        if path.is_symlink():
            raise SystemExit(f"store_zips: {relative} is a link: the stores take plain files")
        if path.is_file() and not any(part.startswith(SKIP_PREFIXES) for part in relative.parts):
            found.append(relative)
    return sorted(found, key=lambda p: p.as_posix())


def build(extension: Path, out: Path, store: str) -> Path:
    manifest = json.loads((extension / "manifest.json").read_text(encoding="utf-8"))
    version = manifest["version"]
    target = out / f"handful-{version}-{store}.zip"
    out.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for relative in files(extension):
            name = relative.as_posix()
            if name == "manifest.json":
                data = (json.dumps(STORES[store](manifest), indent=2, sort_keys=True,
                                   ensure_ascii=False) + "\n").encode("utf-8")
            else:
                data = (extension / relative).read_bytes()
            entry = zipfile.ZipInfo(name, date_time=EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o100644 << 16
            entry.create_system = 3  # Unix, whatever builds it
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extension", type=Path, default=ROOT / "extension",
                        help="the unpacked extension (default: extension/)")
    parser.add_argument("-o", "--out", type=Path, default=ROOT / "dist",
                        help="where the zips go (default: dist/)")
    parser.add_argument("--store", choices=sorted(STORES), action="append",
                        help="only this store's zip (repeatable; default: both)")
    args = parser.parse_args(argv)
    if not (args.extension / "manifest.json").is_file():
        print(f"store_zips: no manifest.json in {args.extension}", file=sys.stderr)
        return 2
    for store in args.store or sorted(STORES):
        print(build(args.extension, args.out, store))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
