"""Text-level extraction rules: pure functions from printed strings to small frozen values.

Each module owns one kind of fact: :mod:`.dates`, :mod:`.identity` (patient
labels and values) with :mod:`.names`, :mod:`.labs` with :mod:`.lab_values`,
:mod:`.medications`, :mod:`.diagnoses`, and :mod:`.assertion` (negated /
possible / historical / family mentions) with its rule table :mod:`.context_rules`. They know
nothing of PDFs or of the document layer: a parser gives them strings or lists
of cell strings and maps what they return onto ``lib.domain.report_schema``.
"""
