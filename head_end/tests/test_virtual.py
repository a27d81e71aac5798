"""The virtual meter, concentrator and gateway, frame by frame (a scripted master station over
real TCP on loopback for the concentrator)."""
import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from helpers import run, until

from head_end import dlt645, gdw1376
from head_end.link import FrameStream
from head_end.virtual import DEFAULT_PROFILE, SimClock, VirtualConcentrator, VirtualGateway, VirtualMeter

METER = '170004050001'
MIDNIGHT = dt.datetime(2025, 3, 10)
FUTURE = dt.datetime(2030, 12, 31, 23, 59, 59)
# One day of the default profile: total, sharp, peak, flat, valley.
ONE_DAY = tuple(Decimal(v) for v in ('9.80', '2.00', '4.40', '1.80', '1.60'))


def meter_at(start=MIDNIGHT):
    clock = SimClock(start, speed=0)
    return VirtualMeter(METER, clock), clock


def ask(meter, di):
    answer = meter.handle(dlt645.read_request(METER, di))
    return dlt645.parse_read_answer(dlt645.decode(answer, address=METER), di)


def relay(meter, action, expiry=FUTURE, **kwargs):
    answer = meter.handle(dlt645.relay_request(METER, dlt645.RelayCommand(action, expiry, **kwargs)))
    return dlt645.decode(answer)


def current(meter):
    return dlt645.decode_registers(ask(meter, dlt645.DI_CURRENT_FORWARD_BLOCK))


def test_registers_follow_the_profile_and_the_tou_schedule():
    meter, clock = meter_at()
    clock.advance(dt.timedelta(hours=1))              # 00:00-01:00 is valley, 0.20 kWh
    assert current(meter) == tuple(Decimal(v) for v in ('0.20', '0', '0', '0', '0.20'))
    clock.advance(dt.timedelta(minutes=30))           # half of 01:00-02:00 (0.15 kWh/h)
    assert dlt645.decode_energy(ask(meter, dlt645.di_current_forward(4))) == Decimal('0.27')   # 0.275 cut
    clock.advance(dt.timedelta(hours=22, minutes=30))
    assert current(meter) == ONE_DAY
    assert [dlt645.decode_energy(ask(meter, dlt645.di_current_forward(n))) for n in range(5)] == list(ONE_DAY)


def test_daily_freeze_at_midnight_and_62_days_kept():
    meter, clock = meter_at(MIDNIGHT + dt.timedelta(hours=12))
    assert meter.handle(dlt645.read_request(METER, dlt645.di_daily_freeze_time(1))) == dlt645.error_answer(
        METER, dlt645.READ, dlt645.ERR_NO_DATA)                          # nothing frozen yet
    clock.advance(dt.timedelta(days=1))
    assert dlt645.decode_freeze_time(ask(meter, dlt645.di_daily_freeze_time(1))) == dt.datetime(2025, 3, 11)
    frozen = dlt645.decode_registers(ask(meter, dlt645.di_daily_forward_energy(1)))
    assert str(frozen[0]) == '6.70'          # 12:00-24:00 of the profile
    clock.advance(dt.timedelta(days=70))
    assert dlt645.decode_freeze_time(ask(meter, dlt645.di_daily_freeze_time(1))) == dt.datetime(2025, 5, 20)
    assert len(meter.freezes) == 62
    assert dlt645.decode_freeze_time(ask(meter, dlt645.di_daily_freeze_time(62))) == dt.datetime(2025, 3, 20)
    oldest = dlt645.decode_registers(ask(meter, dlt645.di_daily_forward_energy(62)))
    newest = dlt645.decode_registers(ask(meter, dlt645.di_daily_forward_energy(1)))
    assert newest[0] - oldest[0] == 61 * ONE_DAY[0]
    assert meter.handle(dlt645.read_request(METER, 0x0506003F)) == dlt645.error_answer(
        METER, dlt645.READ, dlt645.ERR_NO_DATA)


def test_trip_stops_consumption_and_close_restores_it():
    meter, clock = meter_at()
    assert relay(meter, dlt645.TRIP).control == 0x9C
    assert dlt645.StatusWord3.decode(ask(meter, dlt645.DI_STATUS_WORD_3)).relay == 'open'
    clock.advance(dt.timedelta(hours=5))
    assert current(meter)[0] == Decimal('0.00')
    assert relay(meter, dlt645.CLOSE).control == 0x9C
    assert dlt645.StatusWord3.decode(ask(meter, dlt645.DI_STATUS_WORD_3)).relay == 'closed'
    clock.advance(dt.timedelta(hours=1))             # 05:00-06:00: 0.20
    assert current(meter)[0] == Decimal('0.20')


def test_close_allowed_waits_for_the_tenants_button():
    meter, clock = meter_at()
    relay(meter, dlt645.TRIP)
    assert relay(meter, dlt645.CLOSE_ALLOWED).control == 0x9C
    word = dlt645.StatusWord3.decode(ask(meter, dlt645.DI_STATUS_WORD_3))
    assert word.relay == 'close_allowed' and word.relay_open and not word.relay_command_open
    clock.advance(dt.timedelta(hours=1))
    assert current(meter)[0] == Decimal('0.00')      # still open until the button
    assert meter.press_button()
    assert dlt645.StatusWord3.decode(ask(meter, dlt645.DI_STATUS_WORD_3)).relay == 'closed'
    assert not meter.press_button()                  # nothing to close any more


def test_keep_power_refuses_a_trip():
    meter, _clock = meter_at()
    assert relay(meter, dlt645.KEEP_POWER_ON).control == 0x9C
    assert dlt645.StatusWord3.decode(ask(meter, dlt645.DI_STATUS_WORD_3)).keep_power
    refused = meter.handle(dlt645.relay_request(METER, dlt645.RelayCommand(dlt645.TRIP, FUTURE)))
    assert refused == bytes.fromhex('68 01 00 05 04 00 17 68 DC 01 53') + refused[-2:]
    assert not meter.relay_open
    assert relay(meter, dlt645.KEEP_POWER_OFF).control == 0x9C
    assert relay(meter, dlt645.TRIP).control == 0x9C and meter.relay_open


def test_expired_and_unauthorised_commands_are_refused():
    meter, _clock = meter_at()
    expired = relay(meter, dlt645.TRIP, expiry=MIDNIGHT - dt.timedelta(seconds=1))
    assert expired.control == 0xDC and expired.data == bytes([dlt645.ERR_CONTROL_EXPIRED])
    wrong = relay(meter, dlt645.TRIP, password='123456')
    assert wrong.control == 0xDC and wrong.data == bytes([dlt645.ERR_PASSWORD])
    assert not meter.relay_open


def test_a_meter_answers_only_its_own_frames_and_not_when_offline():
    meter, _clock = meter_at()
    assert meter.handle(dlt645.read_request('170004050002', dlt645.DI_STATUS_WORD_3)) is None
    assert meter.handle(b'\x00\x68\x16 noise') is None
    assert meter.handle(dlt645.read_answer(METER, dlt645.DI_STATUS_WORD_3, bytes(2))) is None   # an answer
    meter.online = False
    assert meter.handle(dlt645.read_request(METER, dlt645.DI_STATUS_WORD_3)) is None


def test_state_round_trip():
    meter, clock = meter_at()
    clock.advance(dt.timedelta(days=2, hours=3))
    relay(meter, dlt645.KEEP_POWER_ON)
    again = VirtualMeter.from_state(meter.to_state(), clock)
    assert (again.shown(), list(again.freezes), again.keep_power) == (meter.shown(), list(meter.freezes), True)
    clock.advance(dt.timedelta(hours=1))
    again.advance()
    meter.advance()
    assert again.shown() == meter.shown() and again.shown() != meter_at()[0].shown()


# --- over TCP --------------------------------------------------------------------------------------

def test_gateway_answers_raw_frames_and_stays_silent_for_unknown_meters():
    async def scenario():
        meter, _clock = meter_at()
        gateway = VirtualGateway()
        gateway.add_meter(meter)
        port = await gateway.start()
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        stream = FrameStream(reader, dlt645.extract)
        writer.write(dlt645.PREAMBLE + dlt645.read_request(METER, dlt645.DI_STATUS_WORD_3))
        answer = dlt645.decode(await asyncio.wait_for(stream.read(), 2))
        assert dlt645.StatusWord3.decode(dlt645.parse_read_answer(answer, dlt645.DI_STATUS_WORD_3)).relay == 'closed'
        writer.write(dlt645.read_request('999999999999', dlt645.DI_STATUS_WORD_3))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(stream.read(), 0.3)       # an unknown meter: no answer
        writer.close()
        await gateway.close()
    run(scenario())


def test_concentrator_logs_in_beats_and_forwards_to_the_meter_on_its_port():
    """A scripted master: confirms the login, waits for heartbeats, forwards two 645 frames (one
    at the meter's baud rate and parity, one not: the meter does not hear that one)."""
    async def scenario():
        meter, _clock = meter_at()
        accepted = asyncio.get_running_loop().create_future()
        server = await asyncio.start_server(lambda r, w: accepted.set_result((r, w)), '127.0.0.1', 0)
        concentrator = VirtualConcentrator('17000405', '127.0.0.1', server.sockets[0].getsockname()[1],
                                           heartbeat=0.05)
        concentrator.add_meter(meter, port=2)
        concentrator.start()
        reader, writer = await asyncio.wait_for(accepted, 5)
        stream = FrameStream(reader, gdw1376.extract)
        login = gdw1376.decode(await stream.read())
        assert login.afn == gdw1376.AFN_LINK and login.units()[1] == [gdw1376.LOGIN]
        assert login.address.asset == '17000405'
        writer.write(gdw1376.confirm(login))
        await until(lambda: concentrator.logged_in.is_set())
        beat = gdw1376.decode(await stream.read())
        assert beat.units()[1] == [gdw1376.HEARTBEAT]

        async def forward(baud, parity):
            request = gdw1376.ForwardRequest(2, baud, parity, 0.2, 0.05, dlt645.read_request(METER, 0x00010000))
            writer.write(gdw1376.forward_request(login.address.with_master(1), 5, request))
            while True:
                frame = gdw1376.decode(await stream.read())
                if frame.afn == gdw1376.AFN_FORWARD:
                    return frame

        answer = await forward(2400, 'even')
        assert answer.pseq == 5 and answer.up
        port, payload = gdw1376.parse_forward_answer(answer)
        assert port == 2 and dlt645.parse_read_answer(dlt645.decode(payload), 0x00010000) == bytes(4)
        assert gdw1376.parse_forward_answer(await forward(9600, 'none')) == (2, b'')    # not heard: empty
        await concentrator.stop()
        writer.close()
        server.close()
    run(scenario())


def test_the_emulators_state_survives_a_restart(tmp_path):
    from head_end.cli import DemoState, meter_addresses
    path = tmp_path / 'demo.json'
    state = DemoState(path, speed=0)
    state.clock.advance(dt.timedelta(days=3))
    addresses = meter_addresses('17000405', 2)
    assert addresses == ['170004050001', '170004050002']
    meters = [state.meter(address, Decimal(1)) for address in addresses]
    state.clock.advance(dt.timedelta(days=2))
    meters[1].handle(dlt645.relay_request(addresses[1], dlt645.RelayCommand(dlt645.TRIP, FUTURE)))
    state.save(meters)
    again = DemoState(path, speed=0)
    assert again.clock.now() == state.clock.now()
    restored = [again.meter(address, Decimal(1)) for address in addresses]
    assert [m.shown() for m in restored] == [m.shown() for m in meters] and meters[0].shown()[0] == 2 * ONE_DAY[0]
    assert [m.relay_open for m in restored] == [False, True] and len(restored[0].freezes) == 2


def test_a_backdated_meter_holds_the_freezes_of_its_days():
    meter, clock = meter_at(MIDNIGHT + dt.timedelta(hours=13))     # 13:00 on 10 March
    meter.backdate(3)                                               # installed 7 March 00:00 at 0.00
    assert len(meter.freezes) == 3
    times = [dlt645.decode_freeze_time(ask(meter, dlt645.di_daily_freeze_time(n))) for n in (1, 2, 3)]
    assert times == [MIDNIGHT, MIDNIGHT - dt.timedelta(days=1), MIDNIGHT - dt.timedelta(days=2)]
    frozen = [dlt645.decode_registers(ask(meter, dlt645.di_daily_forward_energy(n))) for n in (3, 2, 1)]
    assert frozen == [tuple(value * days for value in ONE_DAY) for days in (1, 2, 3)]   # one day each
    assert meter.handle(dlt645.read_request(METER, dlt645.di_daily_freeze_time(4))) == dlt645.error_answer(
        METER, dlt645.READ, dlt645.ERR_NO_DATA)
    today = sum(DEFAULT_PROFILE[:13], Decimal(0))                  # 00:00-13:00 of the 10th
    assert current(meter)[0] == 3 * ONE_DAY[0] + today
    clock.advance(dt.timedelta(hours=11))                           # it goes on: the 10th is frozen
    assert current(meter)[0] == 4 * ONE_DAY[0] and len(meter.freezes) == 4
    with pytest.raises(ValueError):
        meter.backdate(-1)


def test_a_backdated_meter_keeps_only_62_freezes():
    meter, _clock = meter_at(MIDNIGHT)
    meter.backdate(70)
    assert len(meter.freezes) == 62 and current(meter)[0] == 70 * ONE_DAY[0]
    assert dlt645.decode_freeze_time(ask(meter, dlt645.di_daily_freeze_time(62))) == MIDNIGHT - dt.timedelta(days=61)


def test_the_emulator_backdates_new_meters_on_the_meters_clock(tmp_path):
    from zoneinfo import ZoneInfo

    from head_end.cli import DemoState, build_parser
    args = build_parser().parse_args(['emulate', '--connect', '127.0.0.1:7001', '--history', '5'])
    assert (args.history, args.tz) == (5, 'Asia/Shanghai')          # as the head-end's --meter-tz
    for bad in (['--history', '-1'], ['--tz', 'Mars/Olympus']):
        with pytest.raises(SystemExit):
            build_parser().parse_args(['emulate', '--connect', '127.0.0.1:7001', *bad])
    path = tmp_path / 'demo.json'
    state = DemoState(path, speed=1, tz='Asia/Shanghai')
    shanghai_now = dt.datetime.now(ZoneInfo('Asia/Shanghai')).replace(tzinfo=None)
    assert abs(state.clock.now() - shanghai_now) < dt.timedelta(seconds=5)    # real time, Shanghai's
    meter = state.meter('170004050001', Decimal(1), history=5)
    midnight = state.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert [moment for moment, _values in meter.freezes] == [midnight - dt.timedelta(days=n) for n in range(4, -1, -1)]
    assert meter.freezes[0][1] == ONE_DAY and meter.freezes[-1][1][0] == 5 * ONE_DAY[0]
    state.save([meter])
    again = DemoState(path, speed=1, tz='Asia/Shanghai').meter('170004050001', Decimal(1), history=9)
    assert len(again.freezes) == 5 and again.freezes[0][1] == ONE_DAY      # a saved meter is not backdated again
