"""The offline parser's rules: the engine's :class:`~lib.documents.Document` to a ``ParsedReport``.

:mod:`.reading` gives the views every rule uses (labelled values, sections with
their tables); :mod:`.identity`, :mod:`.meta`, :mod:`.labs`, :mod:`.medications`
and :mod:`.diagnoses` each read one kind of fact into :class:`.facts.Findings`,
every item with its source words; :mod:`.assemble` maps them to the schema.
"""

from lib.offline.assemble import parse_document, read_findings_of, to_report

__all__ = ["parse_document", "read_findings_of", "to_report"]
