"""The Windows registry, behind a small interface so the installer's registry writes are
tested on any system with a fake (tests/support/fake_registry.py)."""

from __future__ import annotations

import importlib
import sys
from typing import Any, Protocol


class Registry(Protocol):
    """String values under one hive (HKEY_CURRENT_USER, or HKEY_LOCAL_MACHINE for --system).
    `name` "" is the key's default value."""

    def get(self, key: str, name: str) -> str | None: ...

    def set(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None:
        """Remove the value, and the key itself when it is left empty."""


class WindowsRegistry:
    def __init__(self, *, machine: bool = False) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        winreg = importlib.import_module("winreg")
        self._winreg: Any = winreg
        self._hive: int = winreg.HKEY_LOCAL_MACHINE if machine else winreg.HKEY_CURRENT_USER

    def get(self, key: str, name: str) -> str | None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(self._hive, key) as handle:
                value, _ = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return value if isinstance(value, str) else None

    def set(self, key: str, name: str, value: str) -> None:
        winreg = self._winreg
        with winreg.CreateKeyEx(self._hive, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(self._hive, key, 0, winreg.KEY_ALL_ACCESS) as handle:
                winreg.DeleteValue(handle, name)
                subkeys, values, _ = winreg.QueryInfoKey(handle)
        except FileNotFoundError:
            return
        if subkeys == 0 and values == 0 and name == "":
            winreg.DeleteKey(self._hive, key)  # the host's own key, now empty
