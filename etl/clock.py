"""The one time zone in which times are shown: CLI tables, `status`, and the service's JSON log lines.

Times are stored in UTC. People read them in the configured zone (`[settings] timezone` in the sources file,
default Asia/Shanghai, the zone of the sites and of their dates), so a log line and a table row about the same
moment show the same clock time. A process picks the zone once, when it has read its configuration (`use`);
until then, and when the file names none, it is the default.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from etl.sources import DEFAULT_TIMEZONE

_zone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)


def use(name: str) -> ZoneInfo:
    """Show times in the zone called `name` (an IANA name such as Asia/Shanghai) from now on."""
    global _zone
    _zone = ZoneInfo(name)
    return _zone


def zone() -> ZoneInfo:
    """The zone times are shown in."""
    return _zone


def local(value: datetime) -> datetime:
    """An aware time in the shown zone (a naive one is taken as UTC, as the database stores them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(_zone)


def iso(value: datetime | None, timespec: str = "minutes") -> str | None:
    """ISO 8601 in the shown zone, with its offset (2025-06-10T08:15+08:00); None stays None."""
    return local(value).isoformat(timespec=timespec) if value is not None else None


def configured_name(sources: Path) -> str | None:
    """The `[settings] timezone` a sources file names, or None when the file, the key or the zone is missing.

    Only that one key is read: a query command shows times in the configured zone without depending on the
    rest of the file being valid (the commands that use the sources validate it whole).
    """
    try:
        with sources.open("rb") as fh:
            name = tomllib.load(fh).get("settings", {}).get("timezone")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return None
    if not isinstance(name, str):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name
