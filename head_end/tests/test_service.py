"""The head-end end to end over real TCP on loopback: virtual concentrators dial it, it dials a
virtual gateway; the work comes from an in-memory backend (through its JSON form)."""
import contextlib
import datetime as dt
from decimal import Decimal

from helpers import run, until

from head_end import dlt645, gdw1376
from head_end.backend import Command, ConcentratorSpec, MemoryBackend, MeterSpec, ReadTask, Work
from head_end.service import HeadEnd, utc_now
from head_end.virtual import SimClock, VirtualConcentrator, VirtualGateway, VirtualMeter

ASSET = '17000405'
ROOM1, ROOM2 = '170004050001', '170004050002'
START = dt.datetime(2025, 3, 10, 12, 0)          # the meters' wall clock (Asia/Shanghai)


class Site:
    """A head-end, a virtual concentrator with two meters on port 2, the backend's work."""

    def __init__(self, heartbeat=0.1, heartbeat_timeout=5.0):
        self.backend = MemoryBackend()
        self.head = HeadEnd(self.backend, host='127.0.0.1', port=0, meter_timeout=0.15, link_margin=0.5,
                            heartbeat_timeout=heartbeat_timeout)
        self.clock = SimClock(START, speed=0)
        self.meters = {address: VirtualMeter(address, self.clock) for address in (ROOM1, ROOM2)}
        self.heartbeat = heartbeat
        self.concentrator = None

    async def __aenter__(self):
        await self.head.start()
        self.connect()
        await until(lambda: self.head.concentrator_online(ASSET))
        self.backend.work = Work([ConcentratorSpec(ASSET, meters=[MeterSpec(a) for a in self.meters])])
        return self

    def connect(self):
        self.concentrator = VirtualConcentrator(ASSET, '127.0.0.1', self.head.port, heartbeat=self.heartbeat,
                                                reconnect=0.05)
        for meter in self.meters.values():
            self.concentrator.add_meter(meter, port=2)
        self.concentrator.start()

    async def __aexit__(self, *exc):
        await self.concentrator.stop()
        await self.head.close()

    async def round(self, reads=(), commands=()):
        """One round of work; the report of this round (merged)."""
        self.backend.work.reads, self.backend.work.commands = list(reads), list(commands)
        done = len(self.backend.reports)
        await self.head.run_once()
        merged = MemoryBackend()
        merged.reports = self.backend.reports[done:]
        return merged.all()


def expiry(days=1):
    return utc_now() + dt.timedelta(days=days)


def sent_codes(meter):
    return [code for code in meter.requests if code == dlt645.RELAY_CONTROL]


def test_login_and_heartbeats_keep_the_concentrator_online():
    async def scenario():
        async with Site(heartbeat=0.05) as site:
            await until(lambda: site.concentrator.heartbeats >= 3 and site.concentrator.confirmations >= 4)
            await site.head.flush()
            statuses = site.backend.all().concentrators
            assert statuses[0].asset == ASSET and statuses[0].online and statuses[0].detail == 'login'
            beats = [s for s in statuses if s.detail == 'heartbeat']
            assert len(beats) >= 3 and all(s.online and s.last_heartbeat and s.peer for s in beats)
            assert site.head.concentrator_online(ASSET)
    run(scenario())


def test_daily_read_gives_the_frozen_registers_with_their_frames():
    async def scenario():
        async with Site() as site:
            site.clock.advance(dt.timedelta(days=1))
            report = await site.round([ReadTask(ROOM1, 'daily', [1])])
            [reading] = report.daily
            frozen_at, values = site.meters[ROOM1].freezes[-1]
            assert (reading.meter, reading.day) == (ROOM1, dt.date(2025, 3, 10))
            assert frozen_at == dt.datetime(2025, 3, 11)
            assert reading.freeze_time == dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)   # 00:00 in Shanghai
            assert (reading.total, reading.sharp, reading.peak, reading.flat, reading.valley) == values
            assert reading.total == Decimal('6.70') and str(reading.total) == '6.70'
            [entry] = report.log
            assert (entry.concentrator, entry.meter, entry.kind, entry.result) == (ASSET, ROOM1, 'daily', 'ok')
            assert [(f.direction, f.protocol) for f in entry.frames] == [
                ('sent', 'gdw1376'), ('sent', 'dlt645'), ('received', 'gdw1376'), ('received', 'dlt645')] * 2
            assert entry.frames[1].hex == dlt645.read_request(ROOM1, 0x05060001).hex(' ').upper()
            assert report.meters[0].address == ROOM1 and report.meters[0].online
    run(scenario())


def test_days_missed_while_the_concentrator_was_offline_are_caught_up():
    async def scenario():
        async with Site() as site:
            await site.concentrator.stop()
            await until(lambda: not site.head.concentrator_online(ASSET))
            site.clock.advance(dt.timedelta(days=3))
            report = await site.round([ReadTask(ROOM1, 'daily', [1, 2, 3])])
            assert not report.daily and report.log[0].result == 'concentrator_offline'
            assert report.concentrators[-1].online is False and report.concentrators[-1].detail == 'disconnected'
            site.connect()
            await until(lambda: site.head.concentrator_online(ASSET))
            report = await site.round([ReadTask(ROOM1, 'daily', [1, 2, 3])])
            assert [r.day for r in report.daily] == [dt.date(2025, 3, 12), dt.date(2025, 3, 11), dt.date(2025, 3, 10)]
            freezes = list(site.meters[ROOM1].freezes)
            assert [r.total for r in report.daily] == [values[0] for _at, values in reversed(freezes)]
            assert report.daily[0].total - report.daily[1].total == Decimal('9.80')      # one whole day
    run(scenario())


def test_current_registers_as_a_block_or_one_by_one():
    async def scenario():
        async with Site() as site:
            site.clock.advance(dt.timedelta(hours=9))               # 12:00 → 21:00
            site.meters[ROOM2].supports_blocks = False
            report = await site.round([ReadTask(ROOM1, 'current'), ReadTask(ROOM2, 'current')])
            first, second = report.current
            for reading in report.current:
                meter = site.meters[reading.meter]
                assert (reading.total, reading.sharp, reading.peak, reading.flat, reading.valley) == meter.shown()
            assert first.sharp == Decimal('2.00') and second.total == first.total
            by_meter = {entry.meter: entry for entry in report.log}
            assert len(by_meter[ROOM1].frames) == 4
            asked = [f.hex for f in by_meter[ROOM2].frames if f.protocol == 'dlt645' and f.direction == 'sent']
            assert asked == [dlt645.read_request(ROOM2, di).hex(' ').upper()
                             for di in (0x0001FF00, 0x00010000, 0x00010100, 0x00010200, 0x00010300, 0x00010400)]
    run(scenario())


def test_trip_is_confirmed_by_reading_the_relay_back_then_close():
    async def scenario():
        async with Site() as site:
            report = await site.round(commands=[Command('c1', ROOM1, 'trip', expiry())])
            [result] = report.commands
            assert (result.id, result.state, result.reason, result.sent) == ('c1', 'confirmed', '', True)
            assert site.meters[ROOM1].relay_open
            meter_frames = [f for f in result.frames if f.protocol == 'dlt645']
            assert meter_frames[0].hex.startswith('68 01 00 05 04 00 17 68 1C 10 35 33 33 33 33 33 33 33 4D 33')
            assert meter_frames[1].hex.startswith('68 01 00 05 04 00 17 68 9C 00')
            assert meter_frames[2].hex == dlt645.read_request(ROOM1, dlt645.DI_STATUS_WORD_3).hex(' ').upper()
            assert report.relays[-1].relay == 'open' and report.log[-1].kind == 'command'
            site.clock.advance(dt.timedelta(hours=2))
            assert site.meters[ROOM1].shown()[0] == 0                # no consumption while tripped
            report = await site.round(commands=[Command('c2', ROOM1, 'close', expiry())])
            assert report.commands[0].state == 'confirmed' and not site.meters[ROOM1].relay_open
            assert report.relays[-1].relay == 'closed'
    run(scenario())


def test_close_allowed_then_the_tenants_button():
    async def scenario():
        async with Site() as site:
            await site.round(commands=[Command('c1', ROOM1, 'trip', expiry())])
            report = await site.round(commands=[Command('c2', ROOM1, 'close_allowed', expiry())])
            assert report.commands[0].state == 'confirmed' and report.relays[-1].relay == 'close_allowed'
            assert site.meters[ROOM1].relay_open
            site.meters[ROOM1].press_button()
            report = await site.round([ReadTask(ROOM1, 'relay')])
            assert (report.relays[0].relay, report.relays[0].keep_power) == ('closed', False)
    run(scenario())


def test_keep_power_refuses_a_trip():
    async def scenario():
        async with Site() as site:
            report = await site.round(commands=[Command('k1', ROOM1, 'keep_power_on', expiry())])
            assert report.commands[0].state == 'confirmed' and report.relays[-1].keep_power
            report = await site.round(commands=[Command('t1', ROOM1, 'trip', expiry())])
            [result] = report.commands
            assert (result.state, result.reason, result.sent) == ('failed', 'refused', True)
            assert 'keep-power' in result.detail and not site.meters[ROOM1].relay_open
            assert result.frames[-1].hex.startswith('68 01 00 05 04 00 17 68 DC 01 53')
            report = await site.round(commands=[Command('k2', ROOM1, 'keep_power_off', expiry()),
                                                Command('t2', ROOM1, 'trip', expiry())])
            assert [r.state for r in report.commands] == ['confirmed', 'confirmed'] and site.meters[ROOM1].relay_open
    run(scenario())


def test_a_silent_meter_is_offline_and_the_concentrator_stays_online():
    async def scenario():
        async with Site() as site:
            await site.round([ReadTask(ROOM2, 'relay')])
            site.meters[ROOM2].online = False
            report = await site.round([ReadTask(ROOM2, 'current'), ReadTask(ROOM1, 'relay')])
            assert [(m.address, m.online) for m in report.meters] == [(ROOM2, False), (ROOM1, True)]
            assert [e.result for e in report.log] == ['no_answer', 'ok']
            empty = report.log[0].frames[-1]                          # the empty forwarding answer
            assert empty.protocol == 'gdw1376' and empty.direction == 'received'
            assert gdw1376.parse_forward_answer(gdw1376.decode(bytes.fromhex(empty.hex))) == (2, b'')
            assert all(s.online for s in report.concentrators) and site.head.concentrator_online(ASSET)
    run(scenario())


def test_a_concentrator_without_heartbeats_goes_offline_and_back():
    async def scenario():
        async with Site(heartbeat=0.05, heartbeat_timeout=0.3) as site:
            await until(lambda: site.concentrator.heartbeats >= 2)
            site.concentrator.silent = True
            await until(lambda: not site.head.concentrator_online(ASSET))
            report = await site.round([ReadTask(ROOM1, 'current')], [Command('c1', ROOM1, 'trip', expiry())])
            assert [e.result for e in report.log] == ['concentrator_offline', 'concentrator_offline']
            assert not report.commands and not site.meters[ROOM1].relay_open
            offline = [s for s in site.backend.all().concentrators if not s.online]
            assert offline and offline[0].detail.startswith('no heartbeat for')
            site.concentrator.silent = False
            await until(lambda: site.head.concentrator_online(ASSET))
            report = await site.round([ReadTask(ROOM1, 'current')])
            assert report.current and report.log[0].result == 'ok'
    run(scenario())


def test_a_command_without_answer_is_unknown_and_never_sent_blindly_again():
    async def scenario():
        async with Site() as site:
            meter = site.meters[ROOM1]
            meter.lose_answers = 1                       # it trips, but its answer is lost
            trip = Command('c7', ROOM1, 'trip', expiry())
            [result] = (await site.round(commands=[trip])).commands
            assert (result.state, result.reason, result.sent) == ('unknown', 'no_answer', True)
            assert meter.relay_open and sent_codes(meter) == [0x1C]
            [again] = (await site.round(commands=[trip])).commands           # the backend gives it again
            assert (again.state, again.reason, again.sent) == ('confirmed', 'already_done', False)
            assert sent_codes(meter) == [0x1C]                               # read, not sent again
            assert [f.hex for f in again.frames if f.protocol == 'dlt645'][0] == dlt645.read_request(
                ROOM1, dlt645.DI_STATUS_WORD_3).hex(' ').upper()
            [third] = (await site.round(commands=[trip])).commands
            assert (third.state, third.sent, third.frames) == ('confirmed', False, [])
            assert sent_codes(meter) == [0x1C] and len(meter.requests) == 2
    run(scenario())


def test_an_unknown_command_the_meter_did_not_carry_out_is_sent_after_the_read():
    async def scenario():
        async with Site() as site:
            meter = site.meters[ROOM1]
            meter.online = False
            trip = Command('c8', ROOM1, 'trip', expiry())
            assert (await site.round(commands=[trip])).commands[0].state == 'unknown'
            report = await site.round(commands=[trip])          # still silent: read fails, nothing sent
            assert (report.commands[0].state, report.commands[0].sent) == ('unknown', False)
            meter.online = True
            [result] = (await site.round(commands=[trip])).commands
            assert (result.state, result.sent) == ('confirmed', True) and meter.relay_open
            assert meter.requests == [0x11, 0x1C, 0x11]        # read first, then the trip, then the read-back
    run(scenario())


def test_sent_before_makes_a_fresh_head_end_read_first():
    async def scenario():
        async with Site() as site:
            meter = site.meters[ROOM1]
            meter.relay_open = meter.command_open = True       # an earlier head-end's trip went through
            [result] = (await site.round(commands=[Command('c9', ROOM1, 'trip', expiry(), sent_before=True)])).commands
            assert (result.state, result.reason, result.sent) == ('confirmed', 'already_done', False)
            assert sent_codes(meter) == []
    run(scenario())


def test_an_expired_command_is_not_sent():
    async def scenario():
        async with Site() as site:
            [result] = (await site.round(commands=[Command('c3', ROOM1, 'trip', expiry(-1))])).commands
            assert (result.state, result.reason, result.sent) == ('failed', 'expired', False)
            assert site.meters[ROOM1].requests == []
    run(scenario())


def test_transparent_gateway():
    async def scenario():
        backend = MemoryBackend()
        head = HeadEnd(backend, host='127.0.0.1', port=0, meter_timeout=0.15, link_margin=0.5)
        await head.start()
        clock = SimClock(START, speed=0)
        meter = VirtualMeter(ROOM1, clock)
        gateway = VirtualGateway()
        gateway.add_meter(meter)
        port = await gateway.start()
        spec = ConcentratorSpec('DTU-1', protocol='dlt645_tcp', host='127.0.0.1', port=port,
                                meters=[MeterSpec(ROOM1), MeterSpec(ROOM2)])
        backend.work = Work([spec])
        try:
            clock.advance(dt.timedelta(days=1))
            backend.work.reads = [ReadTask(ROOM1, 'daily', [1]), ReadTask(ROOM2, 'relay')]
            backend.work.commands = [Command('g1', ROOM1, 'trip', expiry())]
            await head.run_once()
            report = backend.all()
            assert report.concentrators[0].asset == 'DTU-1' and report.concentrators[0].online
            assert report.commands[0].state == 'confirmed' and meter.relay_open
            assert report.daily[0].day == dt.date(2025, 3, 10) and report.daily[0].total == Decimal('6.70')
            assert {f.protocol for e in report.log for f in e.frames} == {'dlt645'}
            assert report.commands[0].frames[0].hex.startswith('68 01 00 05 04 00 17 68 1C 10')
            assert [e.result for e in report.log] == ['ok', 'ok', 'no_answer']        # ROOM2 is not there
            await gateway.close()
            await head.gateways['DTU-1'].close()
            backend.reports.clear()
            backend.work.commands = []
            await head.run_once()
            report = backend.all()
            assert [s.online for s in report.concentrators] == [False]
            assert {e.result for e in report.log} == {'concentrator_offline'}
        finally:
            with contextlib.suppress(Exception):
                await gateway.close()
            await head.close()
    run(scenario())


def test_work_for_a_meter_of_no_concentrator_is_logged():
    async def scenario():
        async with Site() as site:
            report = await site.round([ReadTask('999999999999', 'current')])
            assert report.log[0].result == 'error' and 'none of the work' in report.log[0].detail
    run(scenario())


def test_an_acknowledged_command_the_read_back_does_not_show_is_not_confirmed():
    async def scenario():
        async with Site() as site:
            meter = site.meters[ROOM1]
            meter._relay = lambda frame: dlt645.relay_answer(ROOM1)       # answers 9CH, the relay does not move
            [result] = (await site.round(commands=[Command('c4', ROOM1, 'trip', expiry())])).commands
            assert (result.state, result.reason, result.sent) == ('acknowledged', 'not_confirmed', True)
            assert 'closed' in result.detail and not meter.relay_open
    run(scenario())
