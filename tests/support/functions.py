"""Calling Blueprint functions the way the Functions host does: real request and message objects."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import azure.functions as func
from azure.functions.queue import QueueMessage
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy
from urllib3.filepost import encode_multipart_formdata

from lib.settings import Settings


def multipart(files: Sequence[bytes], fields: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body with one ``file`` part per document, plus plain fields."""
    parts: list[tuple[str, str | tuple[str, bytes, str]]] = [
        ("file", (f"report-{number}.pdf", data, "application/pdf")) for number, data in enumerate(files, 1)
    ]
    parts += list((fields or {}).items())
    body, content_type = encode_multipart_formdata(parts)
    return body, content_type


def upload_request(
    tenant_id: str,
    project_id: str,
    files: Sequence[bytes],
    *,
    api_key: str | None,
    params: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
) -> func.HttpRequest:
    """The upload POST as the host would hand it to ``upload_report``."""
    body, content_type = multipart(files, fields)
    headers = {"Content-Type": content_type}
    if api_key is not None:
        headers["X-API-Key"] = api_key
    return func.HttpRequest(
        "POST",
        f"http://localhost/api/v1/tenants/{tenant_id}/projects/{project_id}/reports",
        headers=headers,
        params=dict(params or {}),
        route_params={"tenant_id": tenant_id, "project_id": project_id},
        body=body,
    )


def status_request(job_id: str, api_key: str | None) -> func.HttpRequest:
    """The status GET as the host would hand it to ``get_job_status``."""
    return func.HttpRequest(
        "GET",
        f"http://localhost/api/v1/job/status/{job_id}",
        headers={"X-API-Key": api_key} if api_key else {},
        route_params={"job_id": job_id},
        body=b"",
    )


def parse_queue_client(settings: Settings, name: str | None = None) -> QueueClient:
    """A client of the app's parse queue (or ``name``) that encodes like the host."""
    return QueueClient.from_connection_string(
        settings.storage_connection_string,
        name or settings.parse_queue_name,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


def receive(queue: QueueClient, timeout: float = 15.0) -> QueueMessage | None:
    """Wait for the next visible message and hand it over as the host would (then delete it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in queue.receive_messages(max_messages=1, visibility_timeout=60):
            queue.delete_message(message)
            return QueueMessage(
                id=message.id,
                body=message.content.encode(),
                dequeue_count=message.dequeue_count,
                pop_receipt=message.pop_receipt,
            )
        time.sleep(0.05)
    return None


def queued_count(queue: QueueClient) -> int:
    """Messages in the queue, visible or not."""
    return int(queue.get_queue_properties().approximate_message_count)
