"""What the package carries beside its code: the browser extension and the native host's
templates. In the repository they are `extension/` and `native-messaging/`; pyproject.toml's
`package-dir` maps them to `handful.extension` and `handful.host_templates` (folders without
Python in them), so a wheel carries them inside `handful/` and they are found there through
`importlib.resources`. Run from the repository (an editable install, the tests), they are
found where they are, so `extension/` still loads unpacked as it is."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from handful.errors import HandfulError

# handful/bundled.py in the repository is agent/handful/bundled.py
_REPOSITORY = Path(__file__).resolve().parents[2]


def _folder(inside: str, repository: str, marker: str, what: str) -> Path:
    installed = Path(str(resources.files("handful").joinpath(inside)))
    for place in (installed, _REPOSITORY / repository):
        if (place / marker).is_file():
            return place
    raise HandfulError(f"this Handful was installed without {what}: reinstall it "
                       "(pip install --force-reinstall handful)")


def extension_dir() -> Path:
    """The unpacked extension: load it from here (`handful extension-path`)."""
    return _folder("extension", "extension", "manifest.json", "its browser extension")


def host_templates() -> Path:
    """The native host's manifest and launcher templates."""
    return _folder("host_templates", "native-messaging", "handful-host.sh.in",
                   "its native host's templates")
