"""``DocumentReference`` per uploaded file: described and identified, never embedded.

The file's bytes stay in our Blob Storage; the reference carries its content type,
size, and two identifiers: ``masterIdentifier`` is its SHA-256 as an RFC 6920
``ni:`` URI (the same bytes always have the same name), ``identifier`` is
``<job_id>/<number>`` in :data:`~lib.fhir.extensions.JOB_FILE_SYSTEM`. FHIR's
``Attachment.hash`` is SHA-1 by definition, so the SHA-256 never goes there.
No ``url``: the API has no file download to point at.
"""

from __future__ import annotations

import base64
from typing import Any

from lib.fhir.datatypes import instant, reference
from lib.fhir.extensions import JOB_FILE_SYSTEM
from lib.fhir.ids import Entry, Ids
from lib.fhir.job import JobFacts, JobFile

__all__ = ["document_entries", "file_key"]


def file_key(number: int) -> str:
    """The key of file ``number``'s DocumentReference."""
    return f"#files/{number}"


def document_entries(job: JobFacts, ids: Ids, patient_url: str) -> list[Entry]:
    """One DocumentReference per file of the job, in upload order."""
    return [
        ids.entry(file_key(item.number), "DocumentReference", _document(job, item, patient_url))
        for item in job.files
    ]


def _ni_uri(sha256_hex: str) -> str:
    """RFC 6920 name of the content: ``ni:///sha-256;`` + the digest in unpadded base64url."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).rstrip(b"=").decode("ascii")
    return f"ni:///sha-256;{digest}"


def _document(job: JobFacts, item: JobFile, patient_url: str) -> dict[str, Any]:
    return {
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": _ni_uri(item.sha256)},
        "identifier": [{"system": JOB_FILE_SYSTEM, "value": f"{job.job_id}/{item.number}"}],
        "status": "current",
        "subject": reference(patient_url),
        # When the reference was made: the upload, not the (unknown) authoring of the document.
        "date": instant(job.created_at),
        "content": [{"attachment": {"contentType": item.content_type, "size": item.size_bytes}}],
    }
