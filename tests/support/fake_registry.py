"""A registry that lives in a dict: the installer's Windows registry writes, tested anywhere."""

from __future__ import annotations


class FakeRegistry:
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, str]] = {}

    def get(self, key: str, name: str) -> str | None:
        return self.keys.get(key.lower(), {}).get(name)

    def set(self, key: str, name: str, value: str) -> None:
        self.keys.setdefault(key.lower(), {})[name] = value

    def delete(self, key: str, name: str) -> None:
        values = self.keys.get(key.lower())
        if values is None:
            return
        values.pop(name, None)
        if not values and name == "":
            del self.keys[key.lower()]
