"""PDF back ends: each turns a :class:`bench.quality.document.Document` into PDF bytes."""
