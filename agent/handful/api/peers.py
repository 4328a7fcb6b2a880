"""Who is at the other end of a local socket."""

from __future__ import annotations

import os
import socket
import struct
from typing import Any

_CREDS = struct.Struct("3i")


def same_user(sock: Any) -> bool:
    """Whether the peer of a Unix socket runs as this user. Asked for each request: a
    connection's peer cannot change, but a cache would outlive the connection (2 us).
    False for anything but a Unix socket: over TCP only a challenge can tell."""
    if sock is None or sock.family != getattr(socket, "AF_UNIX", None):
        return False
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # macOS: the socket's 0600 mode in its checked 0700 folder is the check
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDS.size)
    _pid, uid, _gid = _CREDS.unpack(creds)
    return bool(uid == os.getuid())
