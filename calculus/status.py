"""The verdict vocabulary every result shares: a claim (under each exchange family), a
reduction and each of its checks is proved, refuted or unknown."""

from __future__ import annotations

from typing import Literal

Status = Literal["proved", "refuted", "unknown"]
STATUSES: tuple[Status, ...] = ("proved", "refuted", "unknown")
