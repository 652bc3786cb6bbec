"""Write (or check) the committed OpenAPI document, ``docs/openapi.json``.

    python -m tools.openapi           # regenerate docs/openapi.json from lib/api
    python -m tools.openapi --check   # exit 1 when the committed file is out of date

The document comes from :func:`lib.api.openapi.openapi_document`, the same function
that serves ``GET /api/openapi.json``. No settings, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lib.api.openapi import openapi_document

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def render() -> str:
    """The document as committed: indented, keys in generation order, a final newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document, or with ``--check`` compare it with the committed one."""
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT} is out of date: run python -m tools.openapi", file=sys.stderr)
            return 1
        print(f"{DOCUMENT} is up to date")
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
