"""Where each browser looks for native messaging hosts, on each system.

Pure functions of (browser, system, home, environment): no file is touched here, so the
macOS and Windows answers are tested on Linux like the Linux ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath
from typing import Literal

from handful.identity import NAME

System = Literal["linux", "macos", "windows"]
Family = Literal["chrome", "firefox"]


@dataclass(frozen=True)
class Browser:
    key: str                 # what --browser takes
    name: str                # what people call it
    family: Family           # which manifest it reads
    linux: str | None        # per-user folder: under $XDG_CONFIG_HOME (chrome) or ~ (firefox)
    macos: str | None        # per-user folder under ~/Library/Application Support
    windows: str             # HKCU\Software\<this>\NativeMessagingHosts\<name>
    linux_system: str | None = None   # with --system, as root
    macos_system: str | None = None
    executables: tuple[str, ...] = ()  # names on PATH that say it is installed
    linux_profile: str | None = None   # the folder whose presence says it has been used


BROWSERS: tuple[Browser, ...] = (
    Browser("chrome", "Google Chrome", "chrome", "google-chrome/NativeMessagingHosts",
            "Google/Chrome/NativeMessagingHosts", r"Google\Chrome",
            "/etc/opt/chrome/native-messaging-hosts", "/Library/Google/Chrome/NativeMessagingHosts",
            ("google-chrome", "google-chrome-stable", "google-chrome-beta"), "google-chrome"),
    Browser("chromium", "Chromium", "chrome", "chromium/NativeMessagingHosts",
            "Chromium/NativeMessagingHosts", "Chromium",
            "/etc/chromium/native-messaging-hosts",
            "/Library/Application Support/Chromium/NativeMessagingHosts",
            ("chromium", "chromium-browser"), "chromium"),
    Browser("edge", "Microsoft Edge", "chrome", "microsoft-edge/NativeMessagingHosts",
            "Microsoft Edge/NativeMessagingHosts", r"Microsoft\Edge",
            "/etc/opt/edge/native-messaging-hosts", "/Library/Microsoft/Edge/NativeMessagingHosts",
            ("microsoft-edge", "microsoft-edge-stable"), "microsoft-edge"),
    Browser("brave", "Brave", "chrome", "BraveSoftware/Brave-Browser/NativeMessagingHosts",
            "BraveSoftware/Brave-Browser/NativeMessagingHosts", r"BraveSoftware\Brave-Browser",
            executables=("brave-browser", "brave"), linux_profile="BraveSoftware/Brave-Browser"),
    Browser("vivaldi", "Vivaldi", "chrome", "vivaldi/NativeMessagingHosts",
            "Vivaldi/NativeMessagingHosts", "Vivaldi",
            executables=("vivaldi", "vivaldi-stable"), linux_profile="vivaldi"),
    Browser("firefox", "Firefox", "firefox", ".mozilla/native-messaging-hosts",
            "Mozilla/NativeMessagingHosts", "Mozilla",
            "/usr/lib/mozilla/native-messaging-hosts",
            "/Library/Application Support/Mozilla/NativeMessagingHosts",
            ("firefox", "firefox-esr"), ".mozilla"),
    # Tor Browser sets HOME to its own Browser folder; its per-user folder is found apart.
    Browser("tor", "Tor Browser", "firefox", None,
            "TorBrowser-Data/Browser/Mozilla/NativeMessagingHosts", "Mozilla",
            executables=("torbrowser-launcher", "tor-browser")),
)
BY_KEY = {b.key: b for b in BROWSERS}


class UnknownBrowser(ValueError):
    pass


def browser(key: str) -> Browser:
    try:
        return BY_KEY[key.lower()]
    except KeyError:
        raise UnknownBrowser(f"unknown browser {key!r}: choose from "
                             f"{', '.join(BY_KEY)}") from None



def manifest_dir(b: Browser, system: System, home: PurePath, env: Mapping[str, str], *,
                 machine: bool = False) -> PurePath | None:
    """The folder the browser reads this host's manifest from, on Linux and macOS (None
    where it has none known, or on Windows, where the registry says where the file is)."""
    if system == "linux":
        if machine:
            return PurePosixPath(b.linux_system) if b.linux_system else None
        if b.linux is None:
            return None
        if b.family == "firefox":
            return PurePosixPath(home) / b.linux  # ~/.mozilla even with XDG_CONFIG_HOME
        return xdg_config(home, env) / b.linux
    if system == "macos":
        if machine:
            return PurePosixPath(b.macos_system) if b.macos_system else None
        return PurePosixPath(home) / "Library" / "Application Support" / b.macos if b.macos \
            else None
    return None


def profile_dirs(b: Browser, system: System, home: PurePath, env: Mapping[str, str]
                 ) -> list[PurePath]:
    """Folders whose presence says this browser has been used here."""
    if system == "linux":
        if not b.linux_profile:
            return []
        base = PurePosixPath(home) if b.family == "firefox" else xdg_config(home, env)
        return [base / b.linux_profile]
    if system == "macos":
        support = PurePosixPath(home) / "Library" / "Application Support"
        return [support / b.macos.rsplit("/NativeMessagingHosts", 1)[0]] if b.macos else []
    flavour = type(home)  # PureWindowsPath in tests; the real path type on Windows
    local = flavour(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    roaming = flavour(env.get("APPDATA") or home / "AppData" / "Roaming")
    if b.key == "firefox":
        return [roaming / "Mozilla" / "Firefox"]
    if b.key == "tor":
        return []
    if b.key == "vivaldi":
        return [local / "Vivaldi"]
    return [local.joinpath(*b.windows.split("\\"), "User Data")]


def tor_manifest_dirs(tor_browser_folders: list[PurePath]) -> list[PurePath]:
    """Tor Browser on Linux: its HOME is `<install>/Browser`, so it reads
    `<install>/Browser/.mozilla/native-messaging-hosts`."""
    return [folder / ".mozilla" / "native-messaging-hosts" for folder in tor_browser_folders]


def tor_browser_globs(home: PurePath) -> list[str]:
    """Where Tor Browser is usually unpacked on Linux (torbrowser-launcher, or by hand)."""
    h = str(home)
    return [f"{h}/.local/share/torbrowser/tbb/*/tor-browser*/Browser",
            f"{h}/tor-browser*/Browser", f"{h}/Desktop/tor-browser*/Browser",
            f"{h}/Downloads/tor-browser*/Browser"]


def registry_key(b: Browser) -> str:
    """Under HKEY_CURRENT_USER (or HKEY_LOCAL_MACHINE with --system): the key whose default
    value is the manifest's path."""
    return rf"Software\{b.windows}\NativeMessagingHosts\{NAME}"


def windows_manifest_dir(env: Mapping[str, str], home: PurePath) -> PurePath:
    """Where the manifests live on Windows (the registry points at them)."""
    base = type(home)(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    return base / "Handful" / "NativeMessagingHosts"


def windows_manifest_name(b: Browser) -> str:
    return f"{NAME}.{b.family}.json"


def xdg_config(home: PurePath, env: Mapping[str, str]) -> PurePosixPath:
    configured = env.get("XDG_CONFIG_HOME", "")
    if configured.startswith("/"):  # the spec: a relative value is ignored
        return PurePosixPath(configured)
    return PurePosixPath(home) / ".config"
