"""Storage clients by connection string (local, Azurite) or by managed identity (Azure)."""

from __future__ import annotations

import pytest
from azure.identity import DefaultAzureCredential

from lib.adapters.storage import blob_service, queue_service
from lib.domain.errors import ConfigurationError
from lib.settings import Settings

MONGO = {"MONGODB_URI": "mongodb://h/"}
IDENTITY = {
    **MONGO,
    "AZURE_STORAGE_CONNECTION_STRING__blobServiceUri": "https://acct.blob.core.windows.net",
    "AZURE_STORAGE_CONNECTION_STRING__queueServiceUri": "https://acct.queue.core.windows.net",
    "AZURE_STORAGE_CONNECTION_STRING__clientId": "00000000-0000-0000-0000-000000000001",
    "AZURE_STORAGE_CONNECTION_STRING__credential": "managedidentity",
}


def test_service_uris_give_identity_based_clients() -> None:
    settings = Settings.from_env(IDENTITY)

    blobs, queues = blob_service(settings), queue_service(settings)

    assert blobs.url.startswith("https://acct.blob.core.windows.net")
    assert queues.url.startswith("https://acct.queue.core.windows.net")
    assert isinstance(blobs.credential, DefaultAzureCredential)
    assert isinstance(queues.credential, DefaultAzureCredential)


def test_a_connection_string_wins() -> None:
    settings = Settings.from_env(
        {**IDENTITY, "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true"}
    )

    assert blob_service(settings).account_name == "devstoreaccount1"
    assert queue_service(settings).account_name == "devstoreaccount1"


@pytest.mark.parametrize("missing", ["__blobServiceUri", "__queueServiceUri"])
def test_identity_needs_both_service_uris(missing: str) -> None:
    env = {k: v for k, v in IDENTITY.items() if not k.endswith(missing)}

    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env)

    assert raised.value.problems[0].startswith("AZURE_STORAGE_CONNECTION_STRING:")
