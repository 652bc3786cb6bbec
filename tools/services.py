"""Start and stop the local stand-ins for Azure Storage (Azurite) and MongoDB (SecantusDB).

Dev and test tooling only (never deployed). Both run as child processes on
loopback ports; :class:`ServiceProcess` stops what it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The storage emulator's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def azurite_connection_string(blob_port: int, queue_port: int) -> str:
    """The connection string for an Azurite listening on the given loopback ports."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{blob_port}/{AZURITE_ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{AZURITE_ACCOUNT};"
    )


@dataclass
class ServiceProcess:
    """A started child process and the ports it listens on."""

    name: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until every port accepts connections; raise with the log tail if it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {self.log_tail()}")
            if all(port_open(port) for port in self.ports.values()):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not listen within {timeout:.0f} s: {self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and everything it started."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the process wrote, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _spawn(name: str, argv: list[str], log_path: Path, ports: dict[str, int]) -> ServiceProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv built here, no shell
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    service = ServiceProcess(name, process, ports, log_path)
    service.wait_ready()
    return service


def azurite_binary() -> str:
    """Path of the project's pinned Azurite (installed by ``npm ci``)."""
    local = PROJECT_ROOT / "node_modules" / ".bin" / "azurite"
    if local.exists():
        return str(local)
    found = shutil.which("azurite")
    if found is None:
        raise RuntimeError("Azurite is not installed: run `npm ci` in the project folder")
    return found


def start_azurite(data_dir: Path, blob_port: int = 0, queue_port: int = 0) -> ServiceProcess:
    """Start Azurite (Blob and Queue) with its data in ``data_dir``; ports 0 mean free ones."""
    blob_port = blob_port or free_port()
    queue_port = queue_port or free_port()
    table_port = free_port()
    argv = [
        azurite_binary(),
        "--silent",
        "--location",
        str(data_dir),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(blob_port),
        "--queueHost",
        "127.0.0.1",
        "--queuePort",
        str(queue_port),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(table_port),
        # The current SDKs send an API version Azurite 3.37 rejects without this.
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--loose",
    ]
    service = _spawn("azurite", argv, data_dir / "azurite.log", {"blob": blob_port, "queue": queue_port})
    service.env = {"AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(blob_port, queue_port)}
    return service


def start_secantus(storage_path: Path | None, log_dir: Path, port: int = 0) -> ServiceProcess:
    """Start SecantusDB on loopback.

    ``storage_path=None`` keeps the data in memory and enables test commands
    (``configureFailPoint``); a folder keeps it durable across restarts.
    """
    port = port or free_port()
    binary = Path(sys.executable).with_name("secantusd-py")
    argv = [str(binary), "--standalone", "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING"]
    if storage_path is None:
        argv += ["--storage-path", ":memory:", "--enable-test-commands"]
    else:
        storage_path.mkdir(parents=True, exist_ok=True)
        argv += ["--storage-path", str(storage_path)]
    service = _spawn("secantusdb", argv, log_dir / "secantusdb.log", {"mongodb": port})
    service.env = {"MONGODB_URI": f"mongodb://127.0.0.1:{port}/?directConnection=true"}
    return service
