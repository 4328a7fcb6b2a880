"""A real Syncthing pair on loopback (Debian's `syncthing`), carrying one folder between two
homes: no discovery, relays, NAT or reporting; each side listens on its own loopback port
and knows the other's address."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

SYNCTHING = shutil.which("syncthing") or "syncthing"
FOLDER_ID = "handful-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Side:
    def __init__(self, root: Path, name: str) -> None:
        self.home = root / f"syncthing-{name}"
        self.folder = root / f"Sync-{name}"
        self.folder.mkdir(parents=True)
        subprocess.run([SYNCTHING, "generate", f"--home={self.home}", "--no-default-folder",
                        "--skip-port-probing"], check=True, capture_output=True, timeout=60)
        self.id = subprocess.run([SYNCTHING, "serve", f"--home={self.home}", "--device-id"],
                                 check=True, capture_output=True, text=True,
                                 timeout=60).stdout.strip()
        self.port = _free_port()
        self.gui = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def configure(self, other: Side) -> None:
        path = self.home / "config.xml"
        tree = ET.parse(path)
        config = tree.getroot()
        options = config.find("options")
        assert options is not None
        for tag, value in (("listenAddress", f"tcp://127.0.0.1:{self.port}"),
                           ("globalAnnounceEnabled", "false"), ("localAnnounceEnabled", "false"),
                           ("relaysEnabled", "false"), ("natEnabled", "false"),
                           ("urAccepted", "-1"), ("autoUpgradeIntervalH", "0"),
                           ("crashReportingEnabled", "false"), ("startBrowser", "false")):
            node = options.find(tag)
            if node is None:
                node = ET.SubElement(options, tag)
            node.text = value
        peer = ET.SubElement(config, "device", {"id": other.id, "name": "peer",
                                                "compression": "metadata",
                                                "introducer": "false"})
        ET.SubElement(peer, "address").text = f"tcp://127.0.0.1:{other.port}"
        folder = ET.Element("folder", {"id": FOLDER_ID, "label": FOLDER_ID,
                                       "path": str(self.folder), "type": "sendreceive",
                                       "rescanIntervalS": "3600", "fsWatcherEnabled": "true",
                                       "fsWatcherDelayS": "1"})
        ET.SubElement(folder, "filesystemType").text = "basic"
        for device in (self.id, other.id):
            ET.SubElement(folder, "device", {"id": device, "introducedBy": ""})
        config.insert(0, folder)
        tree.write(path)

    def start(self) -> None:
        log = (self.home / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [SYNCTHING, "serve", f"--home={self.home}", "--no-browser", "--no-restart",
             "--no-upgrade", f"--gui-address=http://127.0.0.1:{self.gui}"],
            stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(20)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)


class Pair:
    """Two Syncthing instances sharing one folder: `a.folder` and `b.folder`."""

    def __init__(self, root: Path) -> None:
        self.a = Side(root, "a")
        self.b = Side(root, "b")
        self.a.configure(self.b)
        self.b.configure(self.a)

    def __enter__(self) -> Pair:
        self.a.start()
        self.b.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.a.stop()
        self.b.stop()
