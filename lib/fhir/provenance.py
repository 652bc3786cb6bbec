"""``Provenance`` per fact, and the two ``Device`` agents: our service and the parser model.

Each entry of ``parsed_data.provenance`` (a JSON Pointer → page, quote, box)
becomes one Provenance: ``target`` is the resource the fact went into (a fact
inside a resource, ``/lab_results/3/unit``, targets that resource, and the
pointer is kept in the :data:`~lib.fhir.extensions.SOURCE_LOCATION` extension);
``recorded`` is the job's completion; agents are the service (``assembler``: it
extracts from existing documents to build new records) and the model
(``performer``: it read the document); the ``source`` entity is the file's
DocumentReference, with page, quote and box in the extension.

Pages in ``parsed_data`` count across all files of a report. With every file's
page count known (or a single file) the page is traced to one file and its page
within it; otherwise every file is named as a source, since one of them is.
A fact whose pointer maps to no resource (a finding: findings are not exported) has
no Provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lib.domain.report_schema import Provenance
from lib.fhir.codes import PARTICIPANT_TYPE
from lib.fhir.datatypes import instant, reference, text_concept
from lib.fhir.documents import file_key
from lib.fhir.extensions import source_location
from lib.fhir.ids import Entry, Ids
from lib.fhir.job import JobFacts, JobFile

__all__ = ["SERVICE_NAME", "device_entries", "provenance_entries"]

SERVICE_NAME = "medical-report-parser"


def device_entries(model: str) -> tuple[Entry, Entry]:
    """The Devices of our service and of the parser ``model``: the same ids in every bundle."""
    service = Ids.shared_entry(
        "#device/service",
        "Device",
        {
            "deviceName": [{"name": SERVICE_NAME, "type": "user-friendly-name"}],
            "type": text_concept("Medical report parsing service"),
        },
    )
    parser = Ids.shared_entry(
        f"#device/model/{model}",
        "Device",
        {"deviceName": [{"name": model, "type": "model-name"}], "type": text_concept("Report parser model")},
    )
    return service, parser


def provenance_entries(
    facts: Mapping[str, Provenance],
    target_of: Callable[[str], str | None],
    job: JobFacts,
    ids: Ids,
    agents: tuple[str, str],
) -> list[Entry]:
    """One Provenance per fact whose pointer ``target_of`` maps to a resource's fullUrl.

    ``agents`` are the fullUrls of the service and model Devices. Facts come in
    pointer order (numbers as numbers), so the bundle does not depend on dict order.
    """
    service, model = agents
    entries = []
    for pointer in sorted(facts, key=_pointer_order):
        target = target_of(pointer)
        if target is None:
            continue
        where = facts[pointer]
        body = {
            "target": [reference(target)],
            "recorded": instant(job.completed_at),
            "agent": [
                {"type": PARTICIPANT_TYPE.concept("assembler"), "who": reference(service)},
                {"type": PARTICIPANT_TYPE.concept("performer"), "who": reference(model)},
            ],
            "entity": [
                {
                    "extension": [source_location(pointer, where, page)],
                    "role": "source",
                    "what": reference(ids.url(file_key(item.number))),
                }
                for item, page in _sources(job.files, where.page)
            ],
        }
        entries.append(ids.entry(f"#provenance{pointer}", "Provenance", body))
    return entries


def _pointer_order(pointer: str) -> list[tuple[int, int | str]]:
    # (0, n) sorts before (1, name), and numbers compare as numbers: /x/2 before /x/10.
    return [(0, int(part)) if part.isdigit() else (1, part) for part in pointer.split("/")]


def _sources(files: tuple[JobFile, ...], page: int) -> list[tuple[JobFile, int | None]]:
    """The file(s) a report-wide ``page`` is in, each with the page within it when known."""
    if len(files) == 1:
        return [(files[0], page)]
    first = 0
    for item in files:
        if item.pages is None:
            break
        if page <= first + item.pages:
            return [(item, page - first)]
        first += item.pages
    return [(item, None) for item in files]
