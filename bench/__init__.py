"""Benchmarks of the app as deployed locally: upload, status, pickup, overhead, throughput, memory.

Dev-only (excluded from deployment by ``.funcignore``). Run everything with ``./scripts/bench``
(``--quick`` for a short smoke run); see :mod:`bench.run`. Figures are reported, never asserted:
the machine is small and shared, so each figure comes with its goal and, where one exists, a
floor measured in the same run.
"""
