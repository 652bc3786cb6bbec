"""The parsing-quality benchmark: a synthetic corpus with ground truth, and a per-field scorer.

* :mod:`bench.quality.corpus` — what the corpus holds, the held-out family and generator,
  and :func:`bench.quality.corpus.build` (one report in-process, for tests);
* :mod:`bench.quality.generate` — ``python -m bench.quality.generate --out DIR``;
* :mod:`bench.quality.families` — one module per layout family (content and truth);
* :mod:`bench.quality.document` and :mod:`bench.quality.render` — a layout-neutral
  document and its fpdf2, reportlab and Chromium back ends;
* :mod:`bench.quality.scan` — scanned twins; :mod:`bench.quality.check` — the guard that
  every truth string is printed in its PDF;
* :mod:`bench.quality.scoring` — matching rules, per-report scores, slices, QUALITY.md;
* ``python -m bench.quality`` — run a parser over the corpus and score it.

All people, facilities and identifiers are invented.
"""
