"""Virtual devices for the tests, the benchmark and the demo, speaking the real frames over TCP:

- ``VirtualMeter``: a DL/T 645-2007 prepaid meter with a clock, a consumption profile, TOU
  registers, daily freezes (62 days) and a relay with keep-power and close-allowed;
- ``VirtualConcentrator``: a Q/GDW 1376.1 concentrator that dials the head-end, logs in, sends
  heartbeats and forwards AFN 10 F1 frames to the meters on its RS-485 ports;
- ``VirtualGateway``: a transparent DL/T 645 TCP gateway (DTU) the head-end dials.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections import deque
from decimal import Decimal

from . import dlt645, gdw1376
from .link import FrameStream, close_writer

_logger = logging.getLogger(__name__)

ZERO = Decimal('0')
HOUR = dt.timedelta(hours=1)
# T1..T4 of DL/T 645 are sharp, peak, flat and valley (尖 峰 平 谷).
SHARP, PEAK, FLAT, VALLEY = 1, 2, 3, 4
# Hour of the day → tariff register: valley at night, sharp in the evening peak.
DEFAULT_SCHEDULE = (VALLEY,) * 7 + (FLAT, PEAK, PEAK, PEAK, FLAT, FLAT) + (PEAK,) * 6 + (SHARP, SHARP, PEAK, FLAT,
                                                                                          VALLEY)
# kWh per hour of an apartment (about 10 kWh a day).
DEFAULT_PROFILE = tuple(Decimal(v) for v in (
    '0.20', '0.15', '0.15', '0.15', '0.15', '0.20', '0.30', '0.50', '0.40', '0.30', '0.30', '0.30',
    '0.40', '0.30', '0.30', '0.30', '0.40', '0.50', '0.80', '1.00', '1.00', '0.80', '0.60', '0.30'))


class SimClock:
    """The meters' local wall clock: from ``start``, ``speed`` times real time (0: stopped), and
    ``advance()`` jumps it forward."""

    def __init__(self, start: dt.datetime | None = None, speed: float = 1.0):
        self._base = (start or dt.datetime.now()).replace(tzinfo=None)
        self._t0 = time.monotonic()
        self.speed = speed

    def now(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    def advance(self, delta: dt.timedelta) -> None:
        self._base += delta


class VirtualMeter:
    def __init__(self, address: str, clock: SimClock, *, profile=DEFAULT_PROFILE, schedule=DEFAULT_SCHEDULE,
                 registers=(ZERO, ZERO, ZERO, ZERO), baud: int = 2400, parity: str = 'even',
                 level: int = 0x02, password: str = '000000'):
        dlt645.encode_address(address)
        if len(profile) != 24 or len(schedule) != 24 or any(t not in (1, 2, 3, 4) for t in schedule):
            raise ValueError("a profile is 24 hourly kWh and a schedule 24 tariffs 1..4")
        self.address = address
        self.clock = clock
        self.profile = tuple(Decimal(v) for v in profile)
        self.schedule = tuple(schedule)
        self.registers = [Decimal(v) for v in registers]       # T1..T4, exact; total = their sum
        self.freezes: deque = deque(maxlen=dlt645.MAX_DAYS_BACK)   # (freeze time, 5 registers), newest last
        self.baud = baud
        self.parity = parity
        self.level = level
        self.password = password
        self.relay_open = False
        self.command_open = False
        self.keep_power = False
        self.online = True
        self.supports_blocks = True     # False: 0001FF00 is refused, the registers are read one by one
        self.lose_answers = 0           # the next n answers are lost on the bus (the meter still acts)
        self.requests: list[int] = []   # control codes of the frames it took
        self.updated = clock.now()

    # --- the meter's own life ------------------------------------------------------------------

    def advance(self) -> None:
        """Consume up to the clock's now, hour by hour; freeze at each midnight crossed."""
        now = self.clock.now()
        moment = self.updated
        while moment < now:
            next_hour = moment.replace(minute=0, second=0, microsecond=0) + HOUR
            until = min(now, next_hour)
            if not self.relay_open:
                share = Decimal((until - moment) // dt.timedelta(microseconds=1)) / 3_600_000_000
                self.registers[self.schedule[moment.hour] - 1] += self.profile[moment.hour] * share
            moment = until
            if moment == next_hour and moment.hour == 0:
                self.freezes.append((moment, self.shown()))
        self.updated = max(self.updated, now)

    def backdate(self, days: int) -> None:
        """Make the meter as if it had been running for ``days`` days by its clock, from 00:00
        that many days before today's: its registers then were the ones it has now, and it
        lives those days at once (its profile's consumption, a freeze at each midnight), so
        that it holds the daily freezes of the last ``days`` days (at most 62 are kept)."""
        if days < 0:
            raise ValueError("a meter is backdated by 0 days or more")
        midnight = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.updated = midnight - dt.timedelta(days=days)
        self.freezes.clear()
        self.advance()

    def shown(self) -> tuple[Decimal, ...]:
        """Total, T1..T4 as the meter shows them (to the cent, cut)."""
        cut = [value.quantize(dlt645.CENT, 'ROUND_DOWN') for value in self.registers]
        return (sum(self.registers, ZERO).quantize(dlt645.CENT, 'ROUND_DOWN'), *cut)

    def press_button(self) -> bool:
        """The tenant presses the button: closes a relay that was allowed to close."""
        self.advance()
        if self.relay_open and not self.command_open:
            self.relay_open = False
            return True
        return False

    def status_word(self) -> dlt645.StatusWord3:
        return dlt645.StatusWord3((dlt645.SW3_RELAY_OPEN if self.relay_open else 0)
                                  | (dlt645.SW3_RELAY_COMMAND_OPEN if self.command_open else 0)
                                  | (dlt645.SW3_KEEP_POWER if self.keep_power else 0))

    # --- the bus -------------------------------------------------------------------------------

    def handle(self, raw: bytes) -> bytes | None:
        """The answer to a frame on the bus; None when it is not for this meter, is noise, or the
        meter is offline."""
        if not self.online:
            return None
        try:
            frame = dlt645.decode(raw)
        except dlt645.FrameError:
            return None
        if frame.address != self.address or frame.is_answer:
            return None
        self.advance()
        self.requests.append(frame.control)
        if frame.function == dlt645.READ:
            answer = self._read(frame)
        elif frame.function == dlt645.RELAY_CONTROL:
            answer = self._relay(frame)
        else:
            answer = dlt645.error_answer(self.address, frame.function, dlt645.ERR_OTHER)
        if self.lose_answers:
            self.lose_answers -= 1
            return None
        return answer

    def _read(self, frame: dlt645.Frame) -> bytes:
        di = dlt645.requested_di(frame)
        payload = self._data(di)
        if payload is None:
            return dlt645.error_answer(self.address, dlt645.READ, dlt645.ERR_NO_DATA)
        return dlt645.read_answer(self.address, di, payload)

    def _data(self, di: int) -> bytes | None:
        if di == dlt645.DI_CURRENT_FORWARD_BLOCK:
            return dlt645.encode_registers(self.shown()) if self.supports_blocks else None
        tariff = (di >> 8) & 0xFF
        if (di & 0xFFFF00FF) == 0x00010000 and tariff <= 4:
            return dlt645.encode_energy(self.shown()[tariff])
        if di == dlt645.DI_STATUS_WORD_3:
            return self.status_word().encode()
        days_back = di & 0xFF
        if di & 0xFFFFFF00 in (0x05060000, 0x05060100) and 1 <= days_back <= dlt645.MAX_DAYS_BACK:
            if days_back > len(self.freezes):
                return None
            moment, values = self.freezes[-days_back]
            if di & 0xFF00:
                return dlt645.encode_registers(values)
            return dlt645.encode_freeze_time(moment)
        return None

    def _relay(self, frame: dlt645.Frame) -> bytes:
        def refuse(err):
            return dlt645.error_answer(self.address, dlt645.RELAY_CONTROL, err)

        try:
            command = dlt645.parse_relay_request(frame)
        except dlt645.FrameError:
            return refuse(dlt645.ERR_OTHER)
        if (command.level, command.password) != (self.level, self.password):
            return refuse(dlt645.ERR_PASSWORD)
        if command.expiry < self.clock.now():
            return refuse(dlt645.ERR_CONTROL_EXPIRED)
        if command.action == dlt645.TRIP:
            if self.keep_power:
                return refuse(dlt645.ERR_CONTROL_KEEP_POWER)
            self.relay_open = self.command_open = True
        elif command.action == dlt645.CLOSE_ALLOWED:
            self.command_open = False               # the relay stays open until the button
        elif command.action == dlt645.CLOSE:
            self.relay_open = self.command_open = False
        elif command.action in (dlt645.KEEP_POWER_ON, dlt645.KEEP_POWER_OFF):
            self.keep_power = command.action == dlt645.KEEP_POWER_ON
        else:
            return refuse(dlt645.ERR_OTHER)
        return dlt645.relay_answer(self.address)

    # --- state (JSON) --------------------------------------------------------------------------

    def to_state(self) -> dict:
        return {
            'address': self.address, 'baud': self.baud, 'parity': self.parity,
            'profile': [str(v) for v in self.profile], 'schedule': list(self.schedule),
            'registers': [str(v) for v in self.registers], 'updated': self.updated.isoformat(),
            'freezes': [[moment.isoformat(), [str(v) for v in values]] for moment, values in self.freezes],
            'relay_open': self.relay_open, 'command_open': self.command_open, 'keep_power': self.keep_power,
        }

    @classmethod
    def from_state(cls, state: dict, clock: SimClock) -> VirtualMeter:
        meter = cls(state['address'], clock, profile=state['profile'], schedule=state['schedule'],
                    registers=state['registers'], baud=state['baud'], parity=state['parity'])
        meter.updated = min(dt.datetime.fromisoformat(state['updated']), clock.now())
        for moment, values in state['freezes']:
            meter.freezes.append((dt.datetime.fromisoformat(moment), tuple(Decimal(v) for v in values)))
        meter.relay_open, meter.command_open = state['relay_open'], state['command_open']
        meter.keep_power = state['keep_power']
        return meter


def bus_answer(meters, baud: int, parity: str, raw: bytes) -> bytes:
    """What comes back on an RS-485 bus: the answer of the meter the frame is for, if it hears
    the frame (its baud rate and parity), or nothing."""
    for meter in meters:
        if (meter.baud, meter.parity) == (baud, parity):
            answer = meter.handle(raw)
            if answer:
                return answer
    return b''


class VirtualConcentrator:
    """Dials the head-end, logs in (AFN 02 F1), sends heartbeats (F3) every ``heartbeat``
    seconds and answers AFN 10 F1 with its meter's answer, or an empty one after the request's
    message timeout. Reconnects and logs in again when the connection drops. ``silent``: stops
    heartbeats and answers with the TCP connection left open (a dead modem)."""

    def __init__(self, asset: str, host: str, port: int, *, heartbeat: float = 60.0, reconnect: float = 1.0):
        self.address = gdw1376.Address.from_asset(asset)
        self.asset = asset
        self.host, self.port = host, port
        self.heartbeat = heartbeat
        self.reconnect = reconnect
        self.ports: dict[int, list[VirtualMeter]] = {}
        self.silent = False
        self.logged_in = asyncio.Event()
        self.logins = self.heartbeats = self.confirmations = self.forwards = 0
        self._pseq = 0
        self._writer = None
        self._task = None
        self._bus = asyncio.Lock()

    def add_meter(self, meter: VirtualMeter, port: int = 2) -> VirtualMeter:
        self.ports.setdefault(port, []).append(meter)
        return meter

    def meters(self):
        return [meter for meters in self.ports.values() for meter in meters]

    def start(self) -> None:
        self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await close_writer(self._writer)

    async def drop(self) -> None:
        """Close the connection now (it reconnects after ``reconnect`` seconds)."""
        await close_writer(self._writer)

    async def run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(self.reconnect)
                continue
            self._writer = writer
            try:
                await self._session(reader)
            except (ConnectionError, OSError) as error:
                _logger.info("concentrator %s: connection lost (%s)", self.asset, error)
            finally:
                self.logged_in.clear()
                await close_writer(writer)
            await asyncio.sleep(self.reconnect)

    def _send_link(self, fn: int) -> None:
        self._pseq = (self._pseq + 1) % 16
        self._writer.write(gdw1376.link_frame(self.address, fn, self._pseq))

    async def _session(self, reader) -> None:
        stream = FrameStream(reader, gdw1376.extract)
        self._send_link(gdw1376.LOGIN)
        self.logins += 1
        beating = asyncio.ensure_future(self._heartbeats())
        try:
            while True:
                frame = gdw1376.decode(await stream.read())
                if frame.address.terminal != self.address.terminal or frame.address.area != self.address.area:
                    continue
                if frame.afn == gdw1376.AFN_CONFIRM and not frame.up:
                    self.confirmations += 1
                    self.logged_in.set()
                elif frame.afn == gdw1376.AFN_FORWARD and not frame.up:
                    asyncio.ensure_future(self._forward(frame))
        finally:
            beating.cancel()

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            if not self.silent:
                self._send_link(gdw1376.HEARTBEAT)
                self.heartbeats += 1

    async def _forward(self, frame: gdw1376.Frame) -> None:
        async with self._bus:              # one RS-485 exchange at a time
            if self.silent:
                return
            try:
                request = gdw1376.parse_forward_request(frame)
            except gdw1376.FrameError:
                return
            self.forwards += 1
            answer = bus_answer(self.ports.get(request.port, ()), request.baud, request.parity, request.payload)
            if not answer:
                await asyncio.sleep(request.message_timeout)
            if not self.silent and self._writer is not None:
                self._writer.write(gdw1376.forward_answer(frame, request.port, answer))


class VirtualGateway:
    """A transparent DL/T 645 TCP gateway: every 645 frame a client sends goes on its bus; the
    meter's answer comes back, nothing when no meter answers."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0, baud: int = 2400, parity: str = 'even'):
        self.host, self.port = host, port
        self.baud, self.parity = baud, parity
        self.meters: list[VirtualMeter] = []
        self.silent = False
        self._server = None
        self._writers = set()

    def add_meter(self, meter: VirtualMeter) -> VirtualMeter:
        self.meters.append(meter)
        return meter

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server:
            self._server.close()
        for writer in list(self._writers):
            await close_writer(writer)
        if self._server:
            await self._server.wait_closed()

    async def _client(self, reader, writer) -> None:
        self._writers.add(writer)
        stream = FrameStream(reader, dlt645.extract)
        try:
            with contextlib.suppress(ConnectionError, OSError):
                while True:
                    raw = await stream.read()
                    answer = b'' if self.silent else bus_answer(self.meters, self.baud, self.parity, raw)
                    if answer:
                        writer.write(answer)
                        await writer.drain()
        finally:
            self._writers.discard(writer)
            await close_writer(writer)
