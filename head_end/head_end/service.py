"""The head-end: concentrators log in to it (Q/GDW 1376.1), it dials transparent gateways
(DL/T 645 over TCP), and it carries out its backend's work, one exchange at a time per
concentrator (the RS-485 bus behind it is half-duplex), reporting every result with its frames.

Relay commands are sent once. A command whose answer never came is ``unknown``; when the
backend gives the same command id again, the head-end reads the relay state first and reports
``confirmed`` without sending anything if the meter is already where the command would take it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import zoneinfo

from . import dlt645, gdw1376
from .backend import (
    Command,
    CommandResult,
    ConcentratorSpec,
    ConcentratorStatus,
    CurrentReading,
    DailyReading,
    FrameRecord,
    LogEntry,
    MeterSpec,
    MeterStatus,
    ReadTask,
    RelayStatus,
    Report,
    Work,
)
from .link import FrameStream, close_writer, spaced

_logger = logging.getLogger(__name__)

# What status word 3 shows once each action took effect.
TARGETS = {
    'trip': lambda word: word.relay_open,
    'close': lambda word: not word.relay_open,
    'close_allowed': lambda word: not word.relay_command_open,      # closed, or waiting for the button
    'keep_power_on': lambda word: word.keep_power,
    'keep_power_off': lambda word: not word.keep_power,
}


class NoAnswer(Exception):
    """The meter did not answer (an empty forwarding answer, or nothing from a gateway)."""


class LinkDown(Exception):
    """The concentrator or gateway cannot be used; ``sent``: a request may have gone out."""

    def __init__(self, message: str, sent: bool):
        super().__init__(message)
        self.sent = sent


def describe(word: dlt645.StatusWord3) -> str:
    return f"{word.relay}, keep power {'on' if word.keep_power else 'off'}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConcentratorLink:
    """A logged-in Q/GDW 1376.1 concentrator: its TCP connection and its one open request."""
    protocol = 'gdw1376'

    def __init__(self, head: HeadEnd, address: gdw1376.Address, writer, peer: str):
        self.head = head
        self.address = address
        self.asset = address.asset
        self.writer = writer
        self.peer = peer
        self.lock = asyncio.Lock()
        self.online = True
        self.closed = False
        self.last_seen = time.monotonic()
        self.last_heartbeat: dt.datetime | None = None
        self._pseq = 0
        self._pfc = 0
        self._waiting: tuple[int, asyncio.Future] | None = None

    def answer(self, frame: gdw1376.Frame, raw: bytes) -> None:
        if self._waiting and self._waiting[0] == frame.pseq and not self._waiting[1].done():
            self._waiting[1].set_result((frame, raw))

    async def exchange(self, meter: MeterSpec, payload: bytes, frames: list) -> bytes:
        head = self.head
        async with self.lock:
            if self.closed or not self.online:
                raise LinkDown(f"concentrator {self.asset} is offline", sent=False)
            self._pseq = (self._pseq + 1) % 16
            tp = None
            if head.tp_delay is not None:
                self._pfc = (self._pfc + 1) % 256
                tp = gdw1376.Tp.at(head.meter_time(head.now()), self._pfc, head.tp_delay)
            request = gdw1376.forward_request(
                self.address.with_master(head.master), self._pseq,
                gdw1376.ForwardRequest(meter.port, meter.baud, meter.parity, head.meter_timeout, head.byte_timeout,
                                       payload), tp=tp)
            future = asyncio.get_running_loop().create_future()
            self._waiting = (self._pseq, future)
            try:
                self.writer.write(request)
                frames += head.records('sent', request, payload)
                try:
                    frame, raw = await asyncio.wait_for(future, head.meter_timeout + head.link_margin)
                except TimeoutError:
                    raise LinkDown(f"concentrator {self.asset} did not answer", sent=True) from None
            finally:
                self._waiting = None
        _port, answer = gdw1376.parse_forward_answer(frame)
        frames += head.records('received', raw, answer)
        return answer

    def close(self) -> None:
        self.closed = True
        self.writer.close()
        if self._waiting and not self._waiting[1].done():
            self._waiting[1].set_exception(ConnectionError("connection closed"))


class GatewayLink:
    """A transparent DL/T 645 gateway, dialled on first use and again after a failure."""
    protocol = 'dlt645_tcp'

    def __init__(self, head: HeadEnd, spec: ConcentratorSpec):
        self.head = head
        self.asset = spec.asset
        self.host, self.port = spec.host, spec.port
        self.lock = asyncio.Lock()
        self.online: bool | None = None
        self.writer = None
        self.stream = None

    async def _connect(self) -> None:
        try:
            reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                         self.head.link_margin)
        except (TimeoutError, OSError) as error:
            self._status(False, f"cannot reach {self.host}:{self.port}: {error}")
            raise LinkDown(f"gateway {self.asset} unreachable", sent=False) from None
        self.stream = FrameStream(reader, dlt645.extract)
        self._status(True, '')

    def _status(self, online: bool, detail: str) -> None:
        if online != self.online:
            self.online = online
            self.head.concentrator_status(self.asset, online, peer=f'{self.host}:{self.port}', detail=detail)

    async def exchange(self, meter: MeterSpec, payload: bytes, frames: list) -> bytes:
        head = self.head
        async with self.lock:
            if self.writer is None:
                await self._connect()
            try:
                self.writer.write(payload)
                frames += head.records('sent', payload)
                return await self._answer(meter, payload, frames)
            except (ConnectionError, OSError) as error:
                await self.close()
                self._status(False, f"connection lost: {error}")
                raise LinkDown(f"gateway {self.asset}: connection lost", sent=True) from None

    async def _answer(self, meter: MeterSpec, request: bytes, frames: list) -> bytes:
        """The meter's answer to ``request``; a stale answer to an earlier request is dropped."""
        asked = dlt645.decode(request)
        deadline = time.monotonic() + self.head.meter_timeout
        while True:
            try:
                raw = await asyncio.wait_for(self.stream.read(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return b''
            frames += self.head.records('received', raw)
            frame = dlt645.decode(raw)
            if frame.address == meter.address and frame.is_answer and frame.function == asked.function:
                if asked.function != dlt645.READ or frame.is_abnormal or frame.data[:4] == asked.data[:4]:
                    return raw

    async def close(self) -> None:
        writer, self.writer = self.writer, None
        await close_writer(writer)


class HeadEnd:
    def __init__(self, backend, *, host: str = '0.0.0.0', port: int = 7001, master: int = 1,
                 meter_timeout: float = 2.0, byte_timeout: float = 0.1, link_margin: float = 5.0,
                 heartbeat_timeout: float = 900.0, login_timeout: float = 30.0, poll_interval: float = 60.0,
                 meter_tz: str = 'Asia/Shanghai', tp_delay: int | None = None, relay_level: int = 0x02,
                 relay_password: str = '000000', relay_operator: str = '00000000', now=utc_now):
        self.backend = backend
        self.host, self.port = host, port
        self.master = master
        self.meter_timeout = meter_timeout            # what a concentrator waits for its meter
        self.byte_timeout = byte_timeout
        self.link_margin = link_margin                # on top of it, for the concentrator's own answer
        self.heartbeat_timeout = heartbeat_timeout
        self.login_timeout = login_timeout
        self.poll_interval = poll_interval
        self.meter_tz = zoneinfo.ZoneInfo(meter_tz)
        self.tp_delay = tp_delay
        self.relay_level, self.relay_password, self.relay_operator = relay_level, relay_password, relay_operator
        self.now = now
        self.links: dict[str, ConcentratorLink] = {}
        self.gateways: dict[str, GatewayLink] = {}
        self.commands: dict[str, CommandResult] = {}      # the last result of each command id
        self.meters_online: dict[str, bool] = {}
        self.pending = Report()
        self._sessions: dict[asyncio.Task, asyncio.StreamWriter] = {}
        self._report_lock = asyncio.Lock()
        self._server = None
        self._watchdog = None

    # --- time --------------------------------------------------------------------------------------

    def meter_time(self, moment: dt.datetime) -> dt.datetime:
        """A UTC time as a meter's wall clock shows it."""
        return moment.astimezone(self.meter_tz).replace(tzinfo=None)

    def from_meter_time(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=self.meter_tz).astimezone(dt.UTC)

    # --- running -----------------------------------------------------------------------------------

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watchdog = asyncio.ensure_future(self._watch())
        _logger.info("head-end listening for concentrators on %s:%s", self.host, self.port)
        return self.port

    async def close(self) -> None:
        if self._watchdog:
            self._watchdog.cancel()
        if self._server:
            self._server.close()
        for link in list(self.links.values()):
            link.close()
        for writer in self._sessions.values():      # connections not logged in yet
            writer.close()
        if self._sessions:                          # let each session end and report its disconnection
            await asyncio.wait(list(self._sessions), timeout=5)
        for gateway in self.gateways.values():
            await gateway.close()
        if self._server:
            await self._server.wait_closed()
        await self.flush()

    async def serve_forever(self) -> None:
        await self.start()
        while True:
            try:
                await self.run_once()
            except Exception:      # a backend outage must not stop the head-end
                _logger.exception("work round failed")
            await asyncio.sleep(self.poll_interval)

    async def run_once(self) -> None:
        await self.execute(await self.backend.fetch_work())
        await self.flush()

    async def flush(self) -> None:
        async with self._report_lock:
            report, self.pending = self.pending, Report()
            if not report:
                return
            try:
                await self.backend.report(report)
            except Exception:
                report.extend(self.pending)         # keep it for the next flush
                self.pending = report
                raise

    async def _watch(self) -> None:
        tick = min(1.0, self.heartbeat_timeout / 4)
        while True:
            await asyncio.sleep(tick)
            for link in list(self.links.values()):
                silent = time.monotonic() - link.last_seen
                if link.online and silent > self.heartbeat_timeout:
                    link.online = False
                    self.concentrator_status(link.asset, False, link, f"no heartbeat for {silent:.0f} s")
            try:
                await self.flush()
            except Exception:
                _logger.exception("report failed")

    # --- reports -----------------------------------------------------------------------------------

    def records(self, direction: str, wire: bytes, meter_frame: bytes | None = None) -> list[FrameRecord]:
        """A gateway's frame (``meter_frame`` None), or a concentrator's frame and the meter's
        frame inside it."""
        at = self.now()
        if meter_frame is None:
            return [FrameRecord(at, direction, 'dlt645', spaced(wire))]
        records = [FrameRecord(at, direction, 'gdw1376', spaced(wire))]
        if meter_frame:
            records.append(FrameRecord(at, direction, 'dlt645', spaced(meter_frame)))
        return records

    def concentrator_status(self, asset: str, online: bool, link: ConcentratorLink | None = None,
                            detail: str = '', peer: str = '') -> None:
        self.pending.concentrators.append(ConcentratorStatus(
            asset, online, self.now(), link.last_heartbeat if link else None, link.peer if link else peer, detail))

    def _meter_seen(self, address: str, online: bool) -> None:
        if self.meters_online.get(address) != online:
            self.meters_online[address] = online
            self.pending.meters.append(MeterStatus(address, online, self.now()))

    def _log(self, asset: str, meter: str, kind: str, result: str, detail: str = '', frames=()) -> None:
        self.pending.log.append(LogEntry(self.now(), asset, meter, kind, result, detail, list(frames)))

    # --- concentrators logging in ------------------------------------------------------------------

    async def _accept(self, reader, writer) -> None:
        peer = writer.get_extra_info('peername')
        peer = f'{peer[0]}:{peer[1]}' if peer else ''
        stream = FrameStream(reader, gdw1376.extract)
        link = None
        session = asyncio.current_task()
        self._sessions[session] = writer
        try:
            login = gdw1376.decode(await asyncio.wait_for(stream.read(), self.login_timeout))
            if login.afn != gdw1376.AFN_LINK or not login.up or login.units()[1] != [gdw1376.LOGIN]:
                _logger.warning("%s: first frame is not a login, closing", peer)
                return
            link = ConcentratorLink(self, login.address, writer, peer)
            previous = self.links.get(link.asset)
            if previous:
                previous.close()
            self.links[link.asset] = link
            writer.write(gdw1376.confirm(login))
            link.last_heartbeat = self.now()
            self.concentrator_status(link.asset, True, link, 'login')
            _logger.info("concentrator %s logged in from %s", link.asset, peer)
            while not link.closed:
                raw = await stream.read()
                frame = gdw1376.decode(raw)
                self._heard(link)
                if frame.afn == gdw1376.AFN_LINK and frame.up:
                    writer.write(gdw1376.confirm(frame))
                    fn = frame.units()[1]
                    if fn == [gdw1376.HEARTBEAT]:
                        link.last_heartbeat = self.now()
                        self.concentrator_status(link.asset, True, link, 'heartbeat')
                    elif fn == [gdw1376.LOGOUT]:
                        break
                elif frame.afn == gdw1376.AFN_FORWARD and frame.up:
                    link.answer(frame, raw)
        except (TimeoutError, ConnectionError, OSError, gdw1376.FrameError) as error:
            _logger.info("concentrator connection %s ended: %s", peer, error)
        finally:
            if link is not None and self.links.get(link.asset) is link:
                del self.links[link.asset]
                link.close()
                self.concentrator_status(link.asset, False, link, 'disconnected')
            self._sessions.pop(session, None)
            await close_writer(writer)

    def _heard(self, link: ConcentratorLink) -> None:
        link.last_seen = time.monotonic()
        if not link.online:
            link.online = True
            self.concentrator_status(link.asset, True, link, 'heard again')

    def concentrator_online(self, asset: str) -> bool:
        link = self.links.get(asset) or self.gateways.get(asset)
        return bool(link and link.online)

    # --- work --------------------------------------------------------------------------------------

    def _link(self, spec: ConcentratorSpec):
        if spec.protocol == 'gdw1376':
            return self.links.get(spec.asset)
        gateway = self.gateways.get(spec.asset)
        if gateway is None or (gateway.host, gateway.port) != (spec.host, spec.port):
            gateway = self.gateways[spec.asset] = GatewayLink(self, spec)
        return gateway

    async def execute(self, work: Work) -> None:
        where = {meter.address: (spec, meter) for spec in work.concentrators for meter in spec.meters}
        jobs: dict[str, list] = {spec.asset: [] for spec in work.concentrators}
        for item in [*work.commands, *work.reads]:
            if item.meter not in where:
                self._log('', item.meter, getattr(item, 'kind', 'command'), 'error',
                          "the meter is in none of the work's concentrators")
                continue
            jobs[where[item.meter][0].asset].append((item, where[item.meter][1]))
        specs = {spec.asset: spec for spec in work.concentrators}
        await asyncio.gather(*(self._run(specs[asset], items) for asset, items in jobs.items() if items))

    async def _run(self, spec: ConcentratorSpec, items) -> None:
        """Commands first, then reads, one exchange at a time; once the concentrator is gone the
        rest is only logged (the backend gives it again)."""
        link = self._link(spec)
        down = None if link is not None and link.online is not False else f"concentrator {spec.asset} is offline"
        for item, meter in items:
            kind = getattr(item, 'kind', 'command')
            if down:
                self._log(spec.asset, meter.address, kind, 'concentrator_offline', down)
                continue
            try:
                if isinstance(item, Command):
                    await self._command(link, meter, item)
                else:
                    await self._read(link, meter, item)
            except LinkDown as error:
                down = str(error)
                if not isinstance(item, Command):
                    self._log(spec.asset, meter.address, kind, 'concentrator_offline', down)

    async def _exchange(self, link, meter: MeterSpec, request: bytes, frames: list) -> dlt645.Frame:
        raw = await link.exchange(meter, request, frames)
        if not raw:
            self._meter_seen(meter.address, False)
            raise NoAnswer(f"meter {meter.address} did not answer")
        frame = dlt645.decode(raw, address=meter.address)
        self._meter_seen(meter.address, True)
        return frame

    async def _ask(self, link, meter: MeterSpec, di: int, frames: list) -> bytes:
        frame = await self._exchange(link, meter, dlt645.read_request(meter.address, di), frames)
        return dlt645.parse_read_answer(frame, di)

    async def _read(self, link, meter: MeterSpec, task: ReadTask) -> None:
        reader = {'daily': self._read_daily, 'current': self._read_current, 'relay': self._read_relay}[task.kind]
        await reader(link, meter, task)

    def _failed(self, link, meter: MeterSpec, kind: str, error: Exception, frames: list, detail: str = '') -> None:
        if isinstance(error, NoAnswer):
            result = 'no_answer'
        elif isinstance(error, dlt645.MeterError):
            result = 'no_data' if error.err & dlt645.ERR_NO_DATA else 'refused'
        else:
            result = 'error'
        self._log(link.asset, meter.address, kind, result, ' '.join(filter(None, (detail, str(error)))), frames)

    async def _read_daily(self, link, meter: MeterSpec, task: ReadTask) -> None:
        for days_back in task.days:
            frames = []
            try:
                freeze = dlt645.decode_freeze_time(
                    await self._ask(link, meter, dlt645.di_daily_freeze_time(days_back), frames))
                values = dlt645.decode_registers(
                    await self._ask(link, meter, dlt645.di_daily_forward_energy(days_back), frames))
            except NoAnswer as error:
                self._failed(link, meter, 'daily', error, frames, f"{days_back} days back:")
                return                                  # the rest would time out as well
            except (dlt645.MeterError, dlt645.FrameError) as error:
                self._failed(link, meter, 'daily', error, frames, f"{days_back} days back:")
                continue
            day = (freeze - dt.timedelta(minutes=1)).date()
            self.pending.daily.append(DailyReading(meter.address, day, self.from_meter_time(freeze), self.now(),
                                                   *values))
            self._log(link.asset, meter.address, 'daily', 'ok', f"day {day} ({days_back} back)", frames)

    async def _read_current(self, link, meter: MeterSpec, task: ReadTask) -> None:
        frames = []
        try:
            try:
                values = dlt645.decode_registers(
                    await self._ask(link, meter, dlt645.DI_CURRENT_FORWARD_BLOCK, frames))
            except dlt645.MeterError:          # no block read on this meter: the five registers one by one
                values = [dlt645.decode_energy(await self._ask(link, meter, dlt645.di_current_forward(tariff), frames))
                          for tariff in range(5)]
        except (NoAnswer, dlt645.MeterError, dlt645.FrameError) as error:
            self._failed(link, meter, 'current', error, frames)
            return
        self.pending.current.append(CurrentReading(meter.address, self.now(), *values))
        self._log(link.asset, meter.address, 'current', 'ok', f"total {values[0]}", frames)

    async def _status_word(self, link, meter: MeterSpec, frames: list) -> dlt645.StatusWord3:
        word = dlt645.StatusWord3.decode(await self._ask(link, meter, dlt645.DI_STATUS_WORD_3, frames))
        self.pending.relays.append(RelayStatus(meter.address, word.relay, word.keep_power, self.now()))
        return word

    async def _read_relay(self, link, meter: MeterSpec, task: ReadTask) -> None:
        frames = []
        try:
            word = await self._status_word(link, meter, frames)
        except (NoAnswer, dlt645.MeterError, dlt645.FrameError) as error:
            self._failed(link, meter, 'relay', error, frames)
            return
        self._log(link.asset, meter.address, 'relay', 'ok', describe(word), frames)

    # --- commands ----------------------------------------------------------------------------------

    def _result(self, link, command: Command, state: str, reason: str, detail: str, sent: bool, frames: list):
        result = CommandResult(command.id, command.meter, command.action, state, self.now(), reason, detail, sent,
                               list(frames))
        self.commands[command.id] = result
        self.pending.commands.append(result)
        self._log(link.asset, command.meter, 'command', 'ok' if state == 'confirmed' else state,
                  ' '.join(filter(None, (command.action, f"#{command.id}", reason, detail))), frames)

    async def _command(self, link, meter: MeterSpec, command: Command) -> None:
        frames = []
        previous = self.commands.get(command.id)
        if previous and previous.state in ('confirmed', 'failed'):
            self._result(link, command, previous.state, previous.reason,
                         "already carried out: not sent again", False, [])
            return
        target = TARGETS[command.action]
        if command.sent_before or (previous and previous.state in ('unknown', 'acknowledged')):
            try:
                word = await self._status_word(link, meter, frames)
            except (NoAnswer, dlt645.MeterError, dlt645.FrameError) as error:
                self._result(link, command, 'unknown', 'no_answer',
                             f"relay state not readable ({error}): not sent again", False, frames)
                return
            except LinkDown as error:
                self._result(link, command, 'unknown', 'no_answer', f"{error}: not sent again", False, frames)
                raise
            if target(word):
                self._result(link, command, 'confirmed', 'already_done',
                             f"the meter is already {describe(word)}: not sent again", False, frames)
                return
        if command.expiry <= self.now():
            self._result(link, command, 'failed', 'expired', f"expired at {command.expiry.isoformat()}", False, frames)
            return
        request = dlt645.relay_request(meter.address, dlt645.RelayCommand(
            dlt645.RELAY_ACTIONS[command.action], self.meter_time(command.expiry), self.relay_level,
            self.relay_password, self.relay_operator))
        try:
            dlt645.parse_relay_answer(await self._exchange(link, meter, request, frames))
        except NoAnswer as error:
            self._result(link, command, 'unknown', 'no_answer', str(error), True, frames)
            return
        except LinkDown as error:
            if error.sent:
                self._result(link, command, 'unknown', 'no_answer', str(error), True, frames)
            else:
                self._log(link.asset, meter.address, 'command', 'concentrator_offline', str(error), frames)
            raise
        except dlt645.MeterError as error:
            self._result(link, command, 'failed', 'refused', str(error), True, frames)
            return
        except dlt645.FrameError as error:
            self._result(link, command, 'unknown', 'no_answer', f"unreadable answer: {error}", True, frames)
            return
        try:
            word = await self._status_word(link, meter, frames)
        except (NoAnswer, dlt645.MeterError, dlt645.FrameError) as error:
            self._result(link, command, 'acknowledged', 'not_confirmed', f"read-back failed: {error}", True, frames)
            return
        except LinkDown as error:
            self._result(link, command, 'acknowledged', 'not_confirmed', f"read-back failed: {error}", True, frames)
            raise
        if target(word):
            self._result(link, command, 'confirmed', '', f"read back: {word.relay}", True, frames)
        else:
            self._result(link, command, 'acknowledged', 'not_confirmed',
                         f"read back: {describe(word)}", True, frames)

