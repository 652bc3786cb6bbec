"""ReportBlobs against real Azurite: a file larger than one read comes back whole, at a bounded memory cost."""

from __future__ import annotations

import random
import tracemalloc
import uuid

import pytest

from lib.adapters.storage import BLOB_READ_CHUNK_BYTES, ReportBlobs, blob_service
from lib.domain.errors import PermanentParseError
from lib.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def blobs(settings: Settings) -> ReportBlobs:
    return ReportBlobs(blob_service(settings).get_container_client(settings.container_name))


def test_a_file_of_several_reads_comes_back_byte_for_byte(blobs: ReportBlobs) -> None:
    data = b"%PDF-1.7\n" + random.Random(7).randbytes(2 * BLOB_READ_CHUNK_BYTES + 12345)
    name = f"t/{uuid.uuid4().hex}/1.pdf"
    blobs.put(name, data, sha256="x")

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        got = blobs.get(name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert got == data
    # The file itself plus buffers of one read in flight (one GET of the whole blob peaked at 9x).
    assert peak - before < len(data) + 12 * BLOB_READ_CHUNK_BYTES


def test_a_missing_file_is_report_file_missing(blobs: ReportBlobs) -> None:
    blobs.put(f"t/{uuid.uuid4().hex}/1.pdf", b"%PDF-1.7", sha256="x")  # the container exists

    with pytest.raises(PermanentParseError) as caught:
        blobs.get(f"t/{uuid.uuid4().hex}/1.pdf")

    assert caught.value.code == "report_file_missing"
