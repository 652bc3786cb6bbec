"""Each vendor exception we catch maps to the application error we expect (adapters only)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import stamina
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
    WTimeoutError,
)

from lib.adapters.mongo_client import THROTTLE_ATTEMPTS, mongo_call, retry_after_seconds
from lib.adapters.storage import decode_job_message, encode_job_message, translated
from lib.domain.errors import DependencyThrottled, DependencyUnavailable


def raising(exc: Exception) -> Callable[[], None]:
    def operation() -> None:
        raise exc

    return operation


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionFailure("down"),
        AutoReconnect("reset"),
        NetworkTimeout("slow"),
        ServerSelectionTimeoutError("no server"),
        ExecutionTimeout("maxTimeMS"),
        WTimeoutError("write concern"),
        WriteConcernError("write applied, replication unknown"),
    ],
)
def test_unreachable_mongodb_is_dependency_unavailable(exc: Exception) -> None:
    with pytest.raises(DependencyUnavailable) as raised:
        mongo_call(raising(exc))
    assert raised.value.dependency == "mongodb"
    assert raised.value.__cause__ is exc


def test_throttling_is_retried_then_reported_with_the_hint() -> None:
    calls = []
    throttle = OperationFailure("Request rate is large. RetryAfterMs=120", code=16500)

    def operation() -> None:
        calls.append(1)
        raise throttle

    # Testing mode skips stamina's waits; cap=True keeps the code's own number of attempts.
    with stamina.set_testing(True, attempts=100, cap=True), pytest.raises(DependencyThrottled) as raised:
        mongo_call(operation)

    assert len(calls) == THROTTLE_ATTEMPTS
    assert raised.value.retry_after_seconds == 0.12


def test_the_first_retry_waits_for_the_servers_hint() -> None:
    calls: list[float] = []
    answers: list[Exception | str] = [
        OperationFailure("Request rate is large. RetryAfterMs=150", code=16500),
        "ok",
    ]

    def operation() -> str:
        calls.append(time.monotonic())
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert mongo_call(operation) == "ok"
    assert calls[1] - calls[0] >= 0.15


def test_throttling_then_success_returns_the_result() -> None:
    answers: list[Exception | str] = [OperationFailure("busy", code=16500), "ok"]

    def operation() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with stamina.set_testing(True, attempts=3):
        assert mongo_call(operation) == "ok"


@pytest.mark.parametrize("exc", [DuplicateKeyError("dup", code=11000), OperationFailure("bad query", code=2)])
def test_other_operation_failures_are_not_retried_or_translated(exc: Exception) -> None:
    calls = []

    def operation() -> None:
        calls.append(1)
        raise exc

    with pytest.raises(type(exc)):
        mongo_call(operation)
    assert len(calls) == 1


def test_retry_after_hint_parsing() -> None:
    assert retry_after_seconds(OperationFailure("x RetryAfterMs=1500 y", code=16500)) == 1.5
    assert retry_after_seconds(OperationFailure("Request rate is large", code=16500)) is None


@pytest.mark.parametrize(
    "exc",
    [
        ServiceRequestError("connection refused"),
        ServiceResponseError("connection reset"),
        ClientAuthenticationError("token endpoint timed out"),
        DecodeError("garbled answer"),
    ],
)
def test_storage_transport_and_credential_errors_are_dependency_unavailable(exc: Exception) -> None:
    with pytest.raises(DependencyUnavailable) as raised, translated("blob"):
        raise exc
    assert raised.value.dependency == "blob"


@pytest.mark.parametrize("status", [None, 403, 408, 429, 500, 503])
def test_storage_service_errors_are_dependency_unavailable(status: int | None) -> None:
    exc = HttpResponseError("busy")
    exc.status_code = status
    with pytest.raises(DependencyUnavailable), translated("queue"):
        raise exc


@pytest.mark.parametrize("status", [400, 404, 409])
def test_storage_errors_the_caller_handles_pass_through(status: int) -> None:
    exc = ResourceNotFoundError("missing") if status == 404 else HttpResponseError("bad")
    exc.status_code = status
    with pytest.raises(type(exc)), translated("queue"):
        raise exc


def test_job_messages_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_job_message(encode_job_message("abc").encode()) == "abc"
    for body in (b"", b"not json", b"[]", b'{"job_id": 5}', b'{"id": "x"}', b"\xff\xfe"):
        assert decode_job_message(body) is None
