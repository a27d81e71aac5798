"""The simulated UnionPay terminal: outcomes, voids, idempotent references, a journal that
survives the bridge's restart."""
import json
import time
from decimal import Decimal

import pytest

from card_bridge.devices import DeviceError
from card_bridge.terminal import open_terminal, set_next, set_offline


@pytest.fixture
def url(tmp_path):
    return f"sim://{tmp_path / 'terminal.json'}?timeout_delay=0.05"


def _state(tmp_path):
    return json.loads((tmp_path / 'terminal.json').read_text())


def test_approve(url):
    result = open_terminal(url).sale('POS/0001', Decimal('100.00'))
    assert result == {'outcome': 'approved', 'authorization': '000001', 'card': '6222 **** **** 7890',
                      'reference': 'POS/0001', 'amount': '100.00'}


def test_decline_then_back_to_approve(url):
    terminal = open_terminal(url)
    set_next(url, 'decline')
    declined = terminal.sale('POS/0001', Decimal('50'))
    assert declined['outcome'] == 'declined' and declined['authorization'] == '' and declined['amount'] == '50.00'
    assert terminal.sale('POS/0002', Decimal('50'))['outcome'] == 'approved'     # 'next' is for one sale
    assert terminal.void('POS/0001') == {'outcome': 'not_found', 'reference': 'POS/0001'}


def test_timeout_is_approved_late_in_the_journal(url):
    terminal = open_terminal(url)
    set_next(url, 'timeout')
    started = time.monotonic()
    result = terminal.sale('POS/0003', Decimal('20.00'))
    assert time.monotonic() - started >= 0.05
    assert result['outcome'] == 'timeout' and result['authorization'] == ''
    found = terminal.lookup('POS/0003')
    assert found['outcome'] == 'approved' and found['late'] and found['authorization']
    assert terminal.sale('POS/0003', Decimal('20.00'))['outcome'] == 'approved'    # what the terminal knows now
    assert terminal.void('POS/0003')['outcome'] == 'voided'
    assert terminal.lookup('POS/0003')['outcome'] == 'voided'


def test_void_and_void_twice(url):
    terminal = open_terminal(url)
    terminal.sale('POS/0004', Decimal('10.00'))
    assert terminal.void('POS/0004') == {'outcome': 'voided', 'reference': 'POS/0004'}
    assert terminal.void('POS/0004') == {'outcome': 'already_voided', 'reference': 'POS/0004'}
    assert terminal.void('POS/9999') == {'outcome': 'not_found', 'reference': 'POS/9999'}
    found = terminal.lookup('POS/0004')
    assert found['voided'] is True and found['outcome'] == 'voided'     # never read as paid
    assert terminal.sale('POS/0004', Decimal('10.00'))['outcome'] == 'voided'     # and never debited again


def test_same_reference_never_debits_twice(url, tmp_path):
    terminal = open_terminal(url)
    first = terminal.sale('POS/0005', Decimal('30.00'))
    set_next(url, 'decline')
    assert terminal.sale('POS/0005', Decimal('30')) == first
    state = _state(tmp_path)
    assert list(state['journal']) == ['POS/0005'] and state['sequence'] == 1
    assert state['next'] == 'decline'         # not used up by the repeated reference
    with pytest.raises(ValueError):
        terminal.sale('POS/0005', Decimal('31.00'))


def test_journal_survives_a_new_terminal_object(url):
    open_terminal(url).sale('POS/0006', Decimal('88.80'))
    again = open_terminal(url)
    assert again.lookup('POS/0006')['outcome'] == 'approved'
    assert again.lookup('POS/0006')['amount'] == '88.80'
    assert again.lookup('POS/0007') is None
    assert again.sale('POS/0007', Decimal('1.00'))['authorization'] == '000002'


def test_money_is_never_a_float(url):
    terminal = open_terminal(url)
    with pytest.raises(TypeError):
        terminal.sale('POS/0008', 10.5)
    for bad in (Decimal('0'), Decimal('-1'), Decimal('1.005'), 'abc'):
        with pytest.raises(ValueError):
            terminal.sale('POS/0008', bad)
    assert terminal.lookup('POS/0008') is None


def test_offline(url):
    terminal = open_terminal(url)
    assert terminal.status() == {'state': 'ok'}
    set_offline(url)
    assert terminal.status() == {'state': 'offline'}
    with pytest.raises(DeviceError) as raised:
        terminal.sale('POS/0009', Decimal('5.00'))
    assert raised.value.code == 'offline'
    set_offline(url, False)
    assert terminal.sale('POS/0009', Decimal('5.00'))['outcome'] == 'approved'


def test_no_real_driver_yet():
    with pytest.raises(DeviceError) as raised:
        open_terminal('serial:///dev/ttyUSB0')
    assert raised.value.code == 'unsupported'
    with pytest.raises(ValueError):
        set_next('sim:///tmp/x.json', 'maybe')
