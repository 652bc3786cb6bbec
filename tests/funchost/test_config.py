"""host.json, local.settings.json and setting resolution (no services needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.funchost.config import (
    HostConfigError,
    QueueOptions,
    apply_local_settings,
    parse_host_json,
    parse_timespan,
    read_host_config,
    resolve_tokens,
)
from tools.funchost.connections import AZURITE_KEY, resolve_connection


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:00:02", 2.0),
        ("00:01:00", 60.0),
        ("1.00:00:00", 86400.0),
        ("00:00:00.5", 0.5),
        (2000, 2.0),
        (250, 0.25),
    ],
)
def test_durations_are_timespans_or_milliseconds(value: object, seconds: float) -> None:
    assert parse_timespan(value) == seconds


@pytest.mark.parametrize("value", ["two seconds", "", True])
def test_bad_durations_are_refused(value: object) -> None:
    with pytest.raises(HostConfigError):
        parse_timespan(value)


def test_defaults_are_the_real_hosts() -> None:
    config = parse_host_json({"version": "2.0"})
    assert config.route_prefix == "api"
    assert config.queues == QueueOptions(16, 8, 60.0, 0.0, 5, "base64")
    assert config.functions is None
    assert config.function_timeout == 30 * 60  # Flex Consumption's default


@pytest.mark.parametrize(
    ("value", "seconds"), [("00:10:00", 600.0), ("00:00:02", 2.0), ("-1", None), (-1, None)]
)
def test_function_timeout_is_a_timespan_and_minus_one_means_no_limit(
    value: object, seconds: float | None
) -> None:
    assert parse_host_json({"functionTimeout": value}).function_timeout == seconds


@pytest.mark.parametrize("value", ["00:00:00", 600, "ten minutes"])
def test_bad_function_timeouts_are_refused(value: object) -> None:
    with pytest.raises(HostConfigError, match=r"functionTimeout|duration"):
        parse_host_json({"functionTimeout": value})


def test_queue_settings_are_read_case_insensitively() -> None:
    config = parse_host_json(
        {
            "Extensions": {
                "HTTP": {"routePrefix": ""},
                "queues": {
                    "BatchSize": 4,
                    "maxPollingInterval": "00:00:02",
                    "visibilityTimeout": "00:00:10",
                    "maxDequeueCount": 2,
                    "messageEncoding": "None",
                },
            },
            "functions": ["a", "b"],
        }
    )
    assert config.route_prefix == ""
    assert config.queues == QueueOptions(4, 2, 2.0, 10.0, 2, "none")
    assert config.functions == frozenset({"a", "b"})


@pytest.mark.parametrize(
    "queues",
    [
        {"batchSize": 0},
        {"batchSize": 33},
        {"maxDequeueCount": "5"},
        {"messageEncoding": "utf8"},
        {"maxPollingInterval": 50},
    ],
)
def test_invalid_queue_settings_are_refused(queues: dict[str, object]) -> None:
    with pytest.raises(HostConfigError):
        parse_host_json({"extensions": {"queues": queues}})


def test_missing_host_json_means_defaults(tmp_path: Path) -> None:
    assert read_host_config(tmp_path) == parse_host_json({})


def test_local_settings_fill_the_environment_and_existing_variables_win(tmp_path: Path) -> None:
    values = {"FROM_FILE": "file", "BOTH": "file", "EMPTY": None}
    (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    environ = {"BOTH": "env"}
    added = apply_local_settings(tmp_path, environ)
    assert environ == {"FROM_FILE": "file", "BOTH": "env", "EMPTY": ""}
    assert sorted(added) == ["EMPTY", "FROM_FILE"]


def test_no_local_settings_is_fine(tmp_path: Path) -> None:
    assert apply_local_settings(tmp_path, {}) == []


def test_setting_tokens_are_resolved_anywhere_in_the_value() -> None:
    environ = {"QUEUE": "parse-jobs", "ENV": "dev"}
    assert resolve_tokens("%QUEUE%-poison", environ) == "parse-jobs-poison"
    assert resolve_tokens("%ENV%-%QUEUE%", environ) == "dev-parse-jobs"
    assert resolve_tokens("plain", environ) == "plain"
    with pytest.raises(HostConfigError, match="MISSING"):
        resolve_tokens("%MISSING%", environ)


def test_connections_resolve_like_the_host() -> None:
    environ = {
        "AzureWebJobsStorage": "default",
        "AzureWebJobsMine": "prefixed",
        "Mine": "plain",
        "Other": "other",
    }
    assert resolve_connection("", environ) == "default"
    assert resolve_connection(None, environ) == "default"
    assert resolve_connection("Mine", environ) == "prefixed"
    assert resolve_connection("Other", environ) == "other"
    assert resolve_connection("AzureWebJobsStorage", environ) == "default"
    with pytest.raises(HostConfigError, match="Nowhere"):
        resolve_connection("Nowhere", environ)


EMULATOR_QUEUES = "http://127.0.0.1:10001/devstoreaccount1"


def test_identity_based_settings_pointing_at_the_emulator_connect_with_its_account_key() -> None:
    # What infra/main.bicep deploys, with the URIs pointed at Azurite.
    environ = {
        "AZURE_STORAGE_CONNECTION_STRING__credential": "managedidentity",
        "AZURE_STORAGE_CONNECTION_STRING__clientId": "00000000-0000-0000-0000-000000000001",
        "AZURE_STORAGE_CONNECTION_STRING__blobServiceUri": "http://127.0.0.1:10000/devstoreaccount1",
        "AZURE_STORAGE_CONNECTION_STRING__queueServiceUri": EMULATOR_QUEUES + "/",
    }
    connection = resolve_connection("AZURE_STORAGE_CONNECTION_STRING", environ)
    assert f"QueueEndpoint={EMULATOR_QUEUES};" in connection
    assert f"AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};" in connection


def test_service_uri_is_an_alias_and_queue_service_uri_wins() -> None:
    alias = {"Jobs__serviceUri": "http://localhost:20001/devstoreaccount1"}
    assert "QueueEndpoint=http://localhost:20001/devstoreaccount1;" in resolve_connection("Jobs", alias)
    both = {**alias, "jobs__QUEUESERVICEURI": EMULATOR_QUEUES}  # names compare case-insensitively
    assert f"QueueEndpoint={EMULATOR_QUEUES};" in resolve_connection("Jobs", both)


def test_an_exact_setting_wins_over_identity_based_settings_under_it() -> None:
    environ = {"Jobs": "a connection string", "Jobs__queueServiceUri": EMULATOR_QUEUES}
    assert resolve_connection("Jobs", environ) == "a connection string"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        # a real storage account: no managed identity here
        ({"Jobs__queueServiceUri": "https://acct.queue.core.windows.net"}, "Jobs__queueServiceUri"),
        ({"AzureWebJobsStorage__accountName": "acct"}, "AzureWebJobsStorage__accountName"),
        # only the blob service: a queue binding has nothing to connect to
        ({"Jobs__blobServiceUri": "http://127.0.0.1:10000/devstoreaccount1"}, "Jobs__queueServiceUri"),
        ({"Jobs__queueServiceUri": EMULATOR_QUEUES, "Jobs__credential": "secret"}, "Jobs__credential"),
        (
            {
                "Jobs__queueServiceUri": EMULATOR_QUEUES,
                "Jobs__clientId": "a",
                "Jobs__managedIdentityResourceId": "b",
            },
            "Jobs__managedIdentityResourceId",
        ),
        ({"Jobs__queueServiceUri": "http://127.0.0.1:10001/otheraccount"}, "Jobs__queueServiceUri"),
    ],
)
def test_identity_based_settings_the_local_host_cannot_honour_are_refused_by_name(
    environ: dict[str, str], named: str
) -> None:
    connection = "" if named.startswith("AzureWebJobsStorage") else "Jobs"
    with pytest.raises(HostConfigError, match=named):
        resolve_connection(connection, environ)


def test_app_settings_override_host_json(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(
        '{"version": "2.0", "extensions": {"queues": {"maxDequeueCount": 5, "visibilityTimeout": "00:00:30"}}}'
    )
    environ = {
        "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2",
        "AZUREFUNCTIONSJOBHOST__Extensions__Queues__VisibilityTimeout": "00:00:00",
        "AzureFunctionsJobHost__extensions__http__routePrefix": "v2",
    }

    config = read_host_config(tmp_path, environ)

    assert config.queues.max_dequeue_count == 2
    assert config.queues.visibility_timeout == 0
    assert config.route_prefix == "v2"
