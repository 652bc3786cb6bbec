"""``python -m tools.icd10_table``: write the ICD-10-CM code table the checks read (``lib/checks/data``).

The table is derived from ``simple-icd-10-cm`` (MIT), whose data is the CDC's
ICD-10-CM tabular list: one line per category or subcategory, ``code``, ``1`` when it
is billable (a leaf), and its official description, tab-separated, gzipped. Reading
this file takes a tenth of a second and some 30 MB, where importing the library
parses the whole tabular XML (about 3 s and 200 MB): the app reads the file, and the
library stays a development tool. ``tests/unit/checks/test_icd10_table.py`` checks
that the committed file is what this command writes.
"""

from __future__ import annotations

import gzip
import importlib
import sys
import warnings
from pathlib import Path

from lib.checks.icd10 import TABLE_PATH


def table_bytes() -> bytes:
    """The gzipped table, the same bytes for the same library version."""
    with warnings.catch_warnings():
        # simple-icd-10-cm 1.5.0 reads its data through importlib.resources' legacy API.
        warnings.simplefilter("ignore", DeprecationWarning)
        icd = importlib.import_module("simple_icd_10_cm")
    lines = [
        f"{code}\t{int(bool(icd.is_leaf(code)))}\t{icd.get_description(code)}"
        for code in icd.get_all_codes(True)
        if icd.is_category_or_subcategory(code)
    ]
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=9, mtime=0)


def main(path: Path = TABLE_PATH) -> int:
    path.write_bytes(table_bytes())
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
