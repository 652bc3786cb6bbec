"""``python -m bench.quality.generate --out bench/quality/corpus``: write the corpus.

Writes ``<id>.pdf`` and ``<id>.json`` (the truth) per report, ``<id>-scan.pdf`` and
``<id>-scan.json`` per scanned twin, in ``tuning/`` or ``held_out/``, and ``manifest.json`` (held-out choices, generator
versions, what was skipped and why). Deterministic: the same command writes the same
files byte for byte, except that Chromium stamps its text PDFs with the time of printing
(their content, truth and scans do not change).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.quality import corpus
from bench.quality.check import unprinted
from bench.quality.render import chromium_backend, fonts
from bench.quality.scan import scan

DEFAULT_OUT = Path(__file__).resolve().parent / "corpus"
# Held-out reports live in their own folder, so that tuning tools pointed at tuning/ never see them.
TUNING_DIR = "tuning"
HELD_OUT_DIR = "held_out"


def _versions(generators: tuple[str, ...]) -> dict[str, str]:
    """The version of every generator used, and of the scan pipeline."""
    versions: dict[str, str] = {
        name: metadata.version(name) for name in ("fpdf2", "reportlab") if name in generators
    }
    if "chromium" in generators:
        versions["chromium"] = chromium_backend.version()
    return versions | {"pypdfium2": metadata.version("pypdfium2"), "pillow": metadata.version("pillow")}


def _available(requested: tuple[str, ...], notes: list[str]) -> tuple[str, ...]:
    generators = list(requested)
    if "chromium" in generators and chromium_backend.executable() is None:
        notes.append(
            "chromium not installed (apt-get install -y chromium): the HTML generator was skipped, "
            "so the held-out-generator column is empty"
        )
        generators.remove("chromium")
    if fonts.missing():
        sys.exit(f"DejaVu fonts missing ({fonts.DEJAVU_DIR}); install fonts-dejavu-core")
    return tuple(generators)


def write(out: Path, generators: tuple[str, ...]) -> dict[str, Any]:
    """Generate the corpus into ``out`` and return its manifest."""
    notes: list[str] = []
    generators = _available(generators, notes)
    out.mkdir(parents=True, exist_ok=True)
    reports: list[str] = []
    started = time.monotonic()
    for number, entry in enumerate(corpus.plan(generators), start=1):
        pdf, truth = corpus.build(entry.family, entry.generator, entry.seed)
        if missing := unprinted(pdf, truth):
            raise RuntimeError(f"{entry.id}: truth not printed in the PDF: {missing}")
        folder = HELD_OUT_DIR if entry.held_out else TUNING_DIR
        (out / folder).mkdir(exist_ok=True)
        base = out / folder / entry.id
        base.with_suffix(".pdf").write_bytes(pdf)
        base.with_suffix(".json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
        reports.append(f"{folder}/{entry.id}")
        if entry.scanned_twin:
            twin = {**truth, "scanned": True, "twin_of": entry.id}
            scanned = scan(pdf, random.Random(f"scan/{entry.id}"))  # noqa: S311
            (out / folder / f"{entry.id}-scan.pdf").write_bytes(scanned)
            (out / folder / f"{entry.id}-scan.json").write_text(
                json.dumps(twin, indent=1, ensure_ascii=False)
            )
            reports.append(f"{folder}/{entry.id}-scan")
        if number % 25 == 0:
            print(f"  {number} reports, {time.monotonic() - started:.0f} s", flush=True)
    manifest = {
        "held_out_family": corpus.HELD_OUT_FAMILY,
        "held_out_generator": corpus.HELD_OUT_GENERATOR,
        "generators": _versions(generators),
        "notes": notes,
        "reports": reports,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpus folder (default %(default)s)")
    parser.add_argument(
        "--generators", default=",".join(corpus.GENERATORS), help="comma-separated subset of %(default)s"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    manifest = write(args.out, tuple(name for name in args.generators.split(",") if name))
    scans = sum(report.endswith("-scan") for report in manifest["reports"])
    print(
        f"{len(manifest['reports']) - scans} reports + {scans} scans in {time.monotonic() - started:.0f} s -> {args.out}"
    )
    for note in manifest["notes"]:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
