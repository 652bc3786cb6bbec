"""Settings: defaults, validation, and every problem reported at once without leaking values."""

from __future__ import annotations

import pytest

from lib.domain.errors import ConfigurationError
from lib.settings import ParserChoice, Settings

REQUIRED = {"AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true", "MONGODB_URI": "mongodb://h/"}


def test_defaults_follow_the_guide() -> None:
    settings = Settings.from_env(REQUIRED)

    assert settings.container_name == "medical-reports"
    assert settings.parse_queue_name == "parse-jobs"
    assert settings.mongodb_database == "medical_report_parser"
    assert settings.max_attempts == 3
    assert (settings.max_file_mb, settings.max_upload_mb, settings.max_files) == (25, 50, 10)
    assert settings.use_gemini is False


def test_gemini_is_used_when_a_key_is_set_unless_overridden() -> None:
    assert Settings.from_env({**REQUIRED, "GEMINI_API_KEY": "k"}).use_gemini is True
    assert Settings.from_env({**REQUIRED, "GEMINI_API_KEY": "k", "PARSER": "local"}).use_gemini is False
    assert (
        Settings.from_env({**REQUIRED, "GEMINI_API_KEY": "k", "PARSER": "gemini"}).parser
        is ParserChoice.GEMINI
    )


def test_blank_values_fall_back_to_defaults() -> None:
    assert Settings.from_env({**REQUIRED, "MAX_ATTEMPTS": "", "GEMINI_API_KEY": " "}).max_attempts == 3


def test_every_problem_is_reported_together_without_values() -> None:
    env = {
        "MONGODB_URI": "mongodb://secret-host/",
        "MAX_ATTEMPTS": "zero",
        "AZURE_CONTAINER_NAME": "Bad_Name!",
        "PARSER": "x",
    }

    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env)

    names = {problem.split(":")[0] for problem in raised.value.problems}
    assert names == {"AZURE_STORAGE_CONNECTION_STRING", "MAX_ATTEMPTS", "AZURE_CONTAINER_NAME", "PARSER"}
    assert "zero" not in str(raised.value) and "Bad_Name!" not in str(raised.value)


def test_cross_field_rules() -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({**REQUIRED, "PARSER": "gemini", "MAX_FILE_MB": "60", "RETRY_BASE_SECONDS": "900"})

    assert len(raised.value.problems) == 3


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PARSE_QUEUE_NAME", "a" * 57),  # its -poison twin would be 64 characters
        ("WEBHOOK_QUEUE_NAME", "double--hyphen"),
        ("PARSE_QUEUE_NAME", "-leading"),
        ("AZURE_CONTAINER_NAME", "Upper"),
        ("AZURE_CONTAINER_NAME", "ab"),
        ("AZURE_CONTAINER_NAME", "c" * 64),
    ],
)
def test_storage_names_follow_azure_rules(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        Settings.from_env({**REQUIRED, variable: value})


def test_longest_storage_names_azure_accepts_are_accepted() -> None:
    settings = Settings.from_env(
        {**REQUIRED, "PARSE_QUEUE_NAME": "q" * 56, "AZURE_CONTAINER_NAME": "c-" * 31 + "c"}
    )
    assert len(settings.parse_queue_name + "-poison") == 63
    assert len(settings.container_name) == 63
