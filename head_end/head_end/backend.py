"""What the head-end gets from its backend (``Work``) and gives back (``Report``), as flat JSON.

``to_json()`` gives a JSON object (a dict of str, int, bool, None and lists of such dicts);
``from_json()`` takes one back and checks it. Energies are strings of decimals ("19.29"),
times ISO 8601 with their offset, in UTC ("2017-05-15T16:00:00+00:00"; a time given without
an offset is read as UTC), days ISO dates ("2017-05-15", the meter's own calendar).
The backend is anything with ``async fetch_work() -> Work`` and ``async report(Report)``: the
Odoo server through HTTP (``server.ServerBackend``), ``MemoryBackend`` for the tests and the emulator,
``FileBackend`` for ``head-end run --work FILE``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import sys
import types
import typing
from decimal import Decimal
from pathlib import Path

from . import dlt645, gdw1376

PROTOCOLS = ('gdw1376', 'dlt645_tcp')
READ_KINDS = ('daily', 'current', 'relay')
ACTIONS = tuple(dlt645.RELAY_ACTIONS)
COMMAND_STATES = ('acknowledged', 'confirmed', 'failed', 'unknown')
RELAY_STATES = ('closed', 'open', 'close_allowed')


def parse_time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace('Z', '+00:00'))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


class JsonRecord:
    """``to_json`` / ``from_json`` for the dataclasses below, from their annotations."""

    def to_json(self) -> dict:
        return {field.name: _dump(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: dict):
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__}: a JSON object is expected, not {type(data).__name__}")
        hints = _type_hints(cls, dt.date, dt.datetime)
        values = {}
        for field in dataclasses.fields(cls):
            if field.name in data:
                try:
                    values[field.name] = _load(hints[field.name], data[field.name])
                except (TypeError, ValueError, ArithmeticError) as error:
                    raise ValueError(f"{cls.__name__}.{field.name}: {error}") from None
        return cls(**values)


@functools.cache
def _type_hints(cls, _date, _datetime) -> dict:
    # read once a class (a day's report holds 100,000 readings of the same class), and again
    # should the date classes be another's (a test's frozen clock replaces them)
    return typing.get_type_hints(cls)


def _dump(value):
    if isinstance(value, JsonRecord):
        return value.to_json()
    if isinstance(value, list):
        return [_dump(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _load(hint, value):
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None:
            return None
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is list:
        if not isinstance(value, list):
            raise ValueError(f"a list is expected, not {value!r}")
        return [_load(typing.get_args(hint)[0], item) for item in value]
    if isinstance(hint, type) and issubclass(hint, JsonRecord):
        return hint.from_json(value)
    if hint is Decimal:
        if isinstance(value, float):
            raise ValueError(f"decimals travel as strings, not the float {value!r}")
        return Decimal(str(value))
    if hint is dt.datetime:
        return parse_time(value)
    if hint is dt.date:
        return dt.date.fromisoformat(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"true or false is expected, not {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"an integer is expected, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"a string is expected, not {value!r}")
        return value
    raise TypeError(f"cannot read {hint}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


# --- Work ----------------------------------------------------------------------------------------

@dataclasses.dataclass
class MeterSpec(JsonRecord):
    """A meter behind a concentrator (its RS-485 port, baud and parity) or a gateway."""
    address: str
    port: int = 2
    baud: int = 2400
    parity: str = 'even'

    def __post_init__(self):
        dlt645.encode_address(self.address)
        _check(self.baud in gdw1376.BAUDS, f"meter {self.address}: baud {self.baud} is not one of {gdw1376.BAUDS}")
        _check(self.parity in gdw1376.PARITIES, f"meter {self.address}: parity {self.parity!r} is not one of "
                                                f"{gdw1376.PARITIES}")
        _check(1 <= self.port <= 31, f"meter {self.address}: port {self.port} is not 1..31")


@dataclasses.dataclass
class ConcentratorSpec(JsonRecord):
    """``gdw1376``: a concentrator that connects to the head-end and logs in with its 8-digit
    asset number. ``dlt645_tcp``: a transparent gateway the head-end dials at host:port
    (``asset`` then only names it)."""
    asset: str
    protocol: str = 'gdw1376'
    host: str = ''
    port: int = 0
    meters: list[MeterSpec] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        _check(self.protocol in PROTOCOLS, f"concentrator {self.asset}: protocol {self.protocol!r} is not one of "
                                           f"{PROTOCOLS}")
        if self.protocol == 'gdw1376':
            gdw1376.Address.from_asset(self.asset)
        else:
            _check(bool(self.asset), "a gateway needs a name (asset)")
            _check(bool(self.host) and 0 < self.port < 65536, f"gateway {self.asset}: host and port are needed")


@dataclasses.dataclass
class ReadTask(JsonRecord):
    """``daily``: the daily freezes ``days`` back (1 = yesterday's, up to 62); ``current``: the
    registers now; ``relay``: relay state and keep-power (status word 3)."""
    meter: str
    kind: str
    days: list[int] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        _check(self.kind in READ_KINDS, f"read of {self.meter}: kind {self.kind!r} is not one of {READ_KINDS}")
        _check(self.kind != 'daily' or bool(self.days), f"daily read of {self.meter}: which days back?")
        for day in self.days:
            _check(1 <= day <= dlt645.MAX_DAYS_BACK, f"read of {self.meter}: day {day} back is not 1..62")


@dataclasses.dataclass
class Command(JsonRecord):
    """A relay command; ``id`` makes it idempotent. ``sent_before``: the backend knows a frame
    for it may have reached the meter (an earlier run reported it ``unknown`` or
    ``acknowledged``), so the head-end reads the relay before anything else."""
    id: str
    meter: str
    action: str
    expiry: dt.datetime
    sent_before: bool = False

    def __post_init__(self):
        _check(bool(self.id), "a command needs an id")
        _check(self.action in ACTIONS, f"command {self.id}: action {self.action!r} is not one of {ACTIONS}")


@dataclasses.dataclass
class Work(JsonRecord):
    concentrators: list[ConcentratorSpec] = dataclasses.field(default_factory=list)
    reads: list[ReadTask] = dataclasses.field(default_factory=list)
    commands: list[Command] = dataclasses.field(default_factory=list)


# --- Report --------------------------------------------------------------------------------------

@dataclasses.dataclass
class FrameRecord(JsonRecord):
    at: dt.datetime
    direction: str           # 'sent' | 'received' (by the head-end)
    protocol: str            # 'gdw1376' (the wire to a concentrator) | 'dlt645' (the meter's frame)
    hex: str                 # "68 12 90 ..."


@dataclasses.dataclass
class ConcentratorStatus(JsonRecord):
    asset: str
    online: bool
    at: dt.datetime
    last_heartbeat: dt.datetime | None = None
    peer: str = ''           # the concentrator's IP:port as the head-end sees it
    detail: str = ''


@dataclasses.dataclass
class MeterStatus(JsonRecord):
    address: str
    online: bool
    at: dt.datetime


@dataclasses.dataclass
class DailyReading(JsonRecord):
    """One daily freeze: ``day`` is the day it closes (a freeze at 00:00 closes the day before)."""
    meter: str
    day: dt.date
    freeze_time: dt.datetime
    read_time: dt.datetime
    total: Decimal
    sharp: Decimal
    peak: Decimal
    flat: Decimal
    valley: Decimal


@dataclasses.dataclass
class CurrentReading(JsonRecord):
    meter: str
    read_time: dt.datetime
    total: Decimal
    sharp: Decimal
    peak: Decimal
    flat: Decimal
    valley: Decimal


@dataclasses.dataclass
class RelayStatus(JsonRecord):
    meter: str
    relay: str               # 'closed' | 'open' | 'close_allowed' (waiting for the tenant's button)
    keep_power: bool
    read_time: dt.datetime


@dataclasses.dataclass
class CommandResult(JsonRecord):
    """``acknowledged``: the meter answered 9CH but the read-back did not show the target state
    (yet); ``confirmed``: status word 3 shows it; ``failed``: refused (DCH), expired or not
    sendable; ``unknown``: no answer came, the meter may or may not have executed it."""
    id: str
    meter: str
    action: str
    state: str
    at: dt.datetime
    reason: str = ''         # '' | 'refused' | 'expired' | 'no_answer' | 'not_confirmed' | 'already_done'
    detail: str = ''
    sent: bool = False       # a 1CH frame went out in this run
    frames: list[FrameRecord] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class LogEntry(JsonRecord):
    """One task of the collection or command log: what was asked of which meter, the result,
    the frames. ``result``: 'ok' | 'no_answer' | 'no_data' | 'refused' | 'error' |
    'concentrator_offline'."""
    at: dt.datetime
    concentrator: str
    meter: str
    kind: str                # 'daily' | 'current' | 'relay' | 'command'
    result: str
    detail: str = ''
    frames: list[FrameRecord] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Report(JsonRecord):
    concentrators: list[ConcentratorStatus] = dataclasses.field(default_factory=list)
    meters: list[MeterStatus] = dataclasses.field(default_factory=list)
    daily: list[DailyReading] = dataclasses.field(default_factory=list)
    current: list[CurrentReading] = dataclasses.field(default_factory=list)
    relays: list[RelayStatus] = dataclasses.field(default_factory=list)
    commands: list[CommandResult] = dataclasses.field(default_factory=list)
    log: list[LogEntry] = dataclasses.field(default_factory=list)

    def __bool__(self):
        return any(getattr(self, field.name) for field in dataclasses.fields(self))

    def extend(self, other: Report) -> None:
        for field in dataclasses.fields(self):
            getattr(self, field.name).extend(getattr(other, field.name))


class Backend(typing.Protocol):
    async def fetch_work(self) -> Work: ...

    async def report(self, report: Report) -> None: ...


class MemoryBackend:
    """Work set by hand, reports kept; both pass through their JSON form, as over HTTP."""

    def __init__(self, work: Work | None = None):
        self.work = work or Work()
        self.reports: list[Report] = []

    async def fetch_work(self) -> Work:
        return Work.from_json(json.loads(json.dumps(self.work.to_json())))

    async def report(self, report: Report) -> None:
        self.reports.append(Report.from_json(json.loads(json.dumps(report.to_json()))))

    def all(self) -> Report:
        merged = Report()
        for report in self.reports:
            merged.extend(report)
        return merged


class FileBackend:
    """``head-end run --work FILE``: the work is read from a JSON file at each poll (edit it while
    the head-end runs); each report is written as one JSON line to ``reports`` (a path, or
    standard output)."""

    def __init__(self, work_path: Path, reports_path: Path | None = None):
        self.work_path = work_path
        self.reports_path = reports_path

    async def fetch_work(self) -> Work:
        return Work.from_json(json.loads(self.work_path.read_text(encoding='utf-8')))

    async def report(self, report: Report) -> None:
        line = json.dumps(report.to_json(), ensure_ascii=False) + '\n'
        if self.reports_path is None:
            sys.stdout.write(line)
            sys.stdout.flush()
        else:
            with self.reports_path.open('a', encoding='utf-8') as out:
                out.write(line)
