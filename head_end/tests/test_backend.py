"""The backend's JSON: flat, decimals as strings, times ISO 8601 in UTC, checked on the way in."""
import datetime as dt
import json
from decimal import Decimal

import pytest

from head_end.backend import (
    Command,
    CommandResult,
    ConcentratorSpec,
    DailyReading,
    FrameRecord,
    MeterSpec,
    ReadTask,
    RelayStatus,
    Report,
    Work,
)

AT = dt.datetime(2017, 5, 15, 16, 3, tzinfo=dt.UTC)


def test_work_from_json():
    work = Work.from_json({
        'concentrators': [
            {'asset': '17000405', 'protocol': 'gdw1376',
             'meters': [{'address': '161013106100', 'port': 2, 'baud': 2400, 'parity': 'even'}]},
            {'asset': 'DTU-1', 'protocol': 'dlt645_tcp', 'host': '10.0.0.7', 'port': 8899,
             'meters': [{'address': '000000366566'}]}],
        'reads': [{'meter': '161013106100', 'kind': 'daily', 'days': [1, 2, 3]},
                  {'meter': '000000366566', 'kind': 'relay'}],
        'commands': [{'id': '42', 'meter': '161013106100', 'action': 'trip', 'expiry': '2030-12-31T23:59:59+08:00'}],
    })
    assert work.concentrators[1].meters[0] == MeterSpec('000000366566', 2, 2400, 'even')     # the defaults
    assert work.reads[0] == ReadTask('161013106100', 'daily', [1, 2, 3])
    assert work.commands[0].expiry == dt.datetime(2030, 12, 31, 15, 59, 59, tzinfo=dt.UTC)
    assert work.commands[0].sent_before is False
    assert Work.from_json(json.loads(json.dumps(work.to_json()))) == work


def test_a_time_without_offset_is_utc():
    command = Command.from_json({'id': '1', 'meter': '161013106100', 'action': 'close',
                                 'expiry': '2030-01-01T00:00:00'})
    assert command.expiry == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert command.to_json()['expiry'] == '2030-01-01T00:00:00+00:00'


def test_report_to_json_is_flat_and_exact():
    report = Report(
        daily=[DailyReading('000000366566', dt.date(2017, 5, 15), dt.datetime(2017, 5, 15, 16, tzinfo=dt.UTC), AT,
                            Decimal('19.29'), Decimal('0.00'), Decimal('13.11'), Decimal('0.00'), Decimal('6.18'))],
        relays=[RelayStatus('000000366566', 'closed', False, AT)],
        commands=[CommandResult('42', '000000366566', 'trip', 'confirmed', AT, sent=True,
                                frames=[FrameRecord(AT, 'sent', 'dlt645', '68 66 65 36 00 00 00 68 1C 10')])])
    data = json.loads(json.dumps(report.to_json()))
    assert data['daily'] == [{'meter': '000000366566', 'day': '2017-05-15', 'freeze_time': '2017-05-15T16:00:00+00:00',
                              'read_time': '2017-05-15T16:03:00+00:00', 'total': '19.29', 'sharp': '0.00',
                              'peak': '13.11', 'flat': '0.00', 'valley': '6.18'}]
    assert data['commands'][0]['frames'] == [{'at': '2017-05-15T16:03:00+00:00', 'direction': 'sent',
                                              'protocol': 'dlt645', 'hex': '68 66 65 36 00 00 00 68 1C 10'}]
    assert data['concentrators'] == [] and data['log'] == []
    assert Report.from_json(data) == report


@pytest.mark.parametrize('data, message', [
    ({'asset': '17000405', 'protocol': 'dlt698'}, "protocol 'dlt698'"),
    ({'asset': '1700040', 'protocol': 'gdw1376'}, 'asset number is 8 digits'),
    ({'asset': 'DTU', 'protocol': 'dlt645_tcp'}, 'host and port'),
    ({'asset': '17000405', 'meters': [{'address': '1234'}]}, 'meter address is 12 digits'),
    ({'asset': '17000405', 'meters': [{'address': '123456789012', 'baud': 115200}]}, 'baud 115200'),
    ({'asset': '17000405', 'meters': [{'address': '123456789012', 'parity': 'mark'}]}, "parity 'mark'"),
    ({'asset': '17000405', 'meters': [{'address': '123456789012', 'port': '2'}]}, 'an integer is expected'),
])
def test_bad_concentrators_are_refused_clearly(data, message):
    with pytest.raises(ValueError, match=message):
        ConcentratorSpec.from_json(data)


def test_bad_tasks_and_values_are_refused_clearly():
    with pytest.raises(ValueError, match="kind 'monthly'"):
        ReadTask.from_json({'meter': '123456789012', 'kind': 'monthly'})
    with pytest.raises(ValueError, match='day 63 back'):
        ReadTask.from_json({'meter': '123456789012', 'kind': 'daily', 'days': [63]})
    with pytest.raises(ValueError, match='which days'):
        ReadTask.from_json({'meter': '123456789012', 'kind': 'daily'})
    with pytest.raises(ValueError, match="action 'open'"):
        Command.from_json({'id': '1', 'meter': '123456789012', 'action': 'open', 'expiry': '2030-01-01T00:00:00'})
    with pytest.raises(ValueError, match='strings, not the float'):
        DailyReading.from_json({'meter': '1', 'day': '2017-05-15', 'freeze_time': '2017-05-15T16:00:00',
                                'read_time': '2017-05-15T16:00:00', 'total': 19.29, 'sharp': '0', 'peak': '0',
                                'flat': '0', 'valley': '0'})
    with pytest.raises(ValueError, match='a JSON object'):
        Work.from_json([])
