"""What fuzzing the API against its document turned up, kept as regressions."""

from __future__ import annotations

import pytest

from lib.domain.errors import InvalidRequest
from lib.domain.listing import parse_list_query


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+23:59"]
)
def test_a_list_bound_beyond_the_representable_utc_times_is_a_400_not_a_500(moment: str) -> None:
    # Valid date-times in the document's sense; converting them to UTC overflowed (an unhandled 500).
    for name in ("created_after", "created_before"):
        with pytest.raises(InvalidRequest) as raised:
            parse_list_query({name: moment}, "tenant-001", "project-001")
        assert raised.value.code == "invalid_query"
