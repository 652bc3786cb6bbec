"""``python -m tools.funchost [--app-dir DIR] [--port N]``: run an app's functions locally."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from lib.log_safety import silence_document_loggers

from .config import HostConfigError
from .host import PROJECT_ROOT, Host

log = logging.getLogger("funchost")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``PORT`` in the environment sets the default port."""
    parser = argparse.ArgumentParser(prog="python -m tools.funchost", description=__doc__)
    parser.add_argument(
        "--app-dir", default=str(PROJECT_ROOT), help="folder with function_app.py and host.json"
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", "7071")), help="HTTP port (7071)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--grace-seconds", type=float, default=30.0, help="time running work gets on stop (30)"
    )
    parser.add_argument(
        "--max-request-body-bytes",
        type=int,
        default=None,
        help="413 beyond (default: the app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else 100 MB)",
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (INFO)")
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    """Host and function logs on stderr; the storage SDK's per-request lines only when they warn."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    silence_document_loggers()  # before the app is loaded: nothing a document library says is kept


def main(argv: list[str] | None = None) -> int:
    """Run the host until SIGINT/SIGTERM; 0 after a clean stop, 1 if it failed or work was cut off."""
    args = parse_args(argv)
    configure_logging(args.log_level)
    host = Host(
        args.app_dir,
        port=args.port,
        bind=args.host,
        grace_seconds=args.grace_seconds,
        max_request_body_bytes=args.max_request_body_bytes,
        on_ready=[lambda started: print(f"Host listening on {started.url}", flush=True)],
    )
    try:
        asyncio.run(host.serve())
    except HostConfigError as exc:
        log.error("Cannot start: %s", exc)  # a configuration message: no traceback needed
        return 1
    except Exception:  # the app's import errors and the like: report them and exit non-zero
        log.exception("The host failed")
        return 1
    if host.unfinished:
        # Sync functions still running in threads cannot be interrupted; leave without joining them.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
