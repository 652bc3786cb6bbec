"""The blob and queue ports: the fakes and Azurite behave the same."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lib.domain.errors import PermanentParseError
from lib.ports.storage import Blobs, Queue
from tests.contract.conftest import Receive


def name(prefix: str = "tenant-001") -> str:
    return f"{prefix}/project-001/{uuid.uuid4().hex[:24]}/1.pdf"


def test_a_blob_is_written_and_read_back(blobs: Blobs) -> None:
    blob = name()

    blobs.put(blob, b"%PDF-1.7 one", sha256="0" * 64)

    assert blobs.get(blob) == b"%PDF-1.7 one"


def test_a_missing_blob_is_a_permanent_error(blobs: Blobs) -> None:
    with pytest.raises(PermanentParseError) as raised:
        blobs.get(name())
    assert raised.value.code == "report_file_missing"


def test_deleting_blobs_that_are_gone_is_fine(blobs: Blobs) -> None:
    blob = name()
    blobs.put(blob, b"%PDF", sha256="0")

    assert blobs.delete_quietly([blob, name()]) == []
    blobs.delete_all([blob])

    with pytest.raises(PermanentParseError):
        blobs.get(blob)


def test_a_listing_pages_in_name_order_from_its_marker_within_a_prefix(blobs: Blobs) -> None:
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    names = sorted(name(prefix) for _ in range(5))
    for blob in names:
        blobs.put(blob, b"%PDF", sha256="0")
    blobs.put(name("elsewhere"), b"%PDF", sha256="0")

    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        page = blobs.list_page(marker, 2, prefix=f"{prefix}/")
        seen += [blob.name for blob in page.blobs]
        pages += 1
        assert all(blob.last_modified.tzinfo is not None for blob in page.blobs)
        marker = page.next_marker
        if marker is None:
            break

    assert seen == names
    assert pages == 3


def test_an_empty_listing_has_no_next_page(blobs: Blobs) -> None:
    page = blobs.list_page(None, 10, prefix=f"nothing-{uuid.uuid4().hex[:8]}/")

    assert list(page.blobs) == [] and page.next_marker is None


def test_a_message_carries_the_ids_and_a_delayed_one_is_not_visible_yet(queue: tuple[Queue, Receive]) -> None:
    sender, receive = queue

    sender.send("66f000000000000000000001")
    sender.send("66f000000000000000000002", message_id="msg_1")
    sender.send("66f000000000000000000003", timedelta(minutes=5))

    assert sorted(receive()) == [("66f000000000000000000001", None), ("66f000000000000000000002", "msg_1")]
    assert receive() == []
