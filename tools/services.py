"""Start and stop the local stand-ins for Azure Storage (Azurite) and MongoDB (SecantusDB).

Dev and test tooling only (never deployed). Both run as child processes on
loopback ports; :class:`ServiceProcess` stops what it started. A launcher that wants
to recognise its own services later writes a :class:`Marker` next to their data;
:func:`listener_pids` and :func:`command_line` say who else holds a port.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
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


def azurite_connection_string(blob_port: int, queue_port: int, table_port: int | None = None) -> str:
    """The connection string for an Azurite listening on the given loopback ports."""
    table = f"TableEndpoint=http://127.0.0.1:{table_port}/{AZURITE_ACCOUNT};" if table_port else ""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{blob_port}/{AZURITE_ACCOUNT};"
        f"QueueEndpoint=http://127.0.0.1:{queue_port}/{AZURITE_ACCOUNT};{table}"
    )


@dataclass
class ServiceProcess:
    """A started child process and the ports it listens on."""

    name: str
    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 30.0, while_waiting: Callable[[], None] | None = None) -> None:
        """Block until every port accepts connections; raise with the log tail if it dies.

        ``while_waiting`` is called between checks; it may raise to give up waiting.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if while_waiting is not None:
                while_waiting()
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


def _die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child get SIGTERM when its parent dies (Linux only).

    A launcher killed with SIGKILL cannot stop its children; the kernel can. Elsewhere
    this does nothing and the launcher's own clean-up is all there is.
    """
    if not sys.platform.startswith("linux"):
        return lambda: None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: nothing to look up in the child
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _spawn(
    name: str,
    argv: list[str],
    log_path: Path,
    ports: dict[str, int],
    *,
    die_with_parent: bool = False,
    on_spawn: Callable[[ServiceProcess], None] | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> ServiceProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv built here, no shell
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # The launcher spawns before it starts any thread, so a preexec_fn is safe there.
            preexec_fn=_die_with_parent() if die_with_parent else None,
        )
    service = ServiceProcess(name, process, ports, log_path)
    if on_spawn is not None:
        on_spawn(service)  # before waiting: whoever asked can stop it even if the wait is interrupted
    service.wait_ready(while_waiting=while_waiting)
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


def start_azurite(
    data_dir: Path,
    blob_port: int = 0,
    queue_port: int = 0,
    *,
    table_port: int = 0,
    die_with_parent: bool = False,
    on_spawn: Callable[[ServiceProcess], None] | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> ServiceProcess:
    """Start Azurite (Blob, Queue, Table) with its data in ``data_dir``; ports 0 mean free ones.

    ``die_with_parent`` asks the kernel to stop it when this process dies (Linux);
    ``on_spawn`` is called with the service as soon as the process exists, and
    ``while_waiting`` while it is not listening yet (it may raise to give up).
    """
    blob_port = blob_port or free_port()
    queue_port = queue_port or free_port()
    table_port = table_port or free_port()
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
    ports = {"blob": blob_port, "queue": queue_port, "table": table_port}
    service = _spawn(
        "azurite",
        argv,
        data_dir / "azurite.log",
        ports,
        die_with_parent=die_with_parent,
        on_spawn=on_spawn,
        while_waiting=while_waiting,
    )
    service.env = {"AZURE_STORAGE_CONNECTION_STRING": azurite_connection_string(blob_port, queue_port)}
    return service


def start_secantus(
    storage_path: Path | None,
    log_dir: Path,
    port: int = 0,
    *,
    die_with_parent: bool = False,
    on_spawn: Callable[[ServiceProcess], None] | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> ServiceProcess:
    """Start SecantusDB on loopback.

    ``storage_path=None`` keeps the data in memory and enables test commands
    (``configureFailPoint``); a folder keeps it durable across restarts.
    ``die_with_parent``, ``on_spawn`` and ``while_waiting`` as for :func:`start_azurite`.
    """
    port = port or free_port()
    binary = Path(sys.executable).with_name("secantusd-py")
    argv = [str(binary), "--standalone", "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING"]
    if storage_path is None:
        argv += ["--storage-path", ":memory:", "--enable-test-commands"]
    else:
        storage_path.mkdir(parents=True, exist_ok=True)
        argv += ["--storage-path", str(storage_path)]
    service = _spawn(
        "secantusdb",
        argv,
        log_dir / "secantusdb.log",
        {"mongodb": port},
        die_with_parent=die_with_parent,
        on_spawn=on_spawn,
        while_waiting=while_waiting,
    )
    service.env = {"MONGODB_URI": f"mongodb://127.0.0.1:{port}/?directConnection=true"}
    return service


# -- recognising a running service ------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    """What a launcher writes next to a service's data once it has started it.

    ``data`` is the folder the service was started on; it appears in the service's
    command line, which is how a later launcher tells it from another program that
    got the same pid after a restart.
    """

    name: str
    pid: int
    ports: dict[str, int]
    data: str
    launcher_pid: int

    def write(self, path: Path) -> None:
        """Write the marker (atomically: a reader never sees half of it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self)))
        partial.replace(path)

    @classmethod
    def read(cls, path: Path) -> Marker | None:
        """The marker at ``path``, or ``None`` when there is none or it is unreadable."""
        try:
            raw = json.loads(path.read_text())
            return cls(
                name=str(raw["name"]),
                pid=int(raw["pid"]),
                ports={str(key): int(value) for key, value in raw["ports"].items()},
                data=str(raw["data"]),
                launcher_pid=int(raw["launcher_pid"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def process_alive(self) -> bool:
        """Whether ``pid`` still runs and is the service that was started on ``data``."""
        command = command_line(self.pid)
        return command is not None and self.data in command


def command_line(pid: int) -> str | None:
    """The command line of a running process (arguments joined by spaces), else ``None``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        if Path("/proc/self/cmdline").exists():
            return None  # Linux: the process does not exist
        raw = b""
    except OSError:
        return None
    if raw:
        return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    if sys.platform.startswith("linux"):
        return None  # a zombie or a kernel thread
    ps = shutil.which("ps")
    if ps is None:
        return None
    result = subprocess.run(  # noqa: S603 - fixed argv
        [ps, "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def listener_pids(port: int) -> list[int]:
    """The processes listening on TCP ``port`` (Linux; those this user may inspect), else ``[]``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    pids = []
    if inodes:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                    pids.append(int(entry.name))
    return sorted(pids)


def describe_listener(port: int, width: int = 120) -> str:
    """Who listens on ``port``, for a message: ``pid 12 (node .../azurite ...)`` or a guess."""
    described = []
    for pid in listener_pids(port):
        command = command_line(pid) or "?"
        if len(command) > width:
            command = command[: width - 3] + "..."
        described.append(f"pid {pid} ({command})")
    return ", ".join(described) or "another program"


def launcher_service_on(port: int) -> Marker | None:
    """The marker of a launcher-started service listening on ``port``, if that is what listens.

    Such a service has its data folder on its command line (``--location``,
    ``--storage-path``) and its launcher's marker next to that folder.
    """
    for pid in listener_pids(port):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        for flag, value in itertools.pairwise(argv):
            if flag not in ("--location", "--storage-path") or not value.startswith("/"):
                continue
            for path in Path(value).parent.glob("*.pid.json"):
                marker = Marker.read(path)
                if marker is not None and marker.pid == pid and marker.data == value:
                    return marker
    return None
