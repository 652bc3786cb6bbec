"""What the domain assumes about time across machines."""

from __future__ import annotations

from datetime import timedelta

#: Tolerated difference between the clocks of the workers, and how early a delayed queue message
#: may arrive and still count as due (queue delays are not exact either).
CLOCK_SLACK = timedelta(seconds=5)
