"""The kiosk's cash job on the bridge: the virtual bill validator on a real pty, a fake server
(a class recording the cash events it is sent and answering as scripted: the server's side is
tested with the addon), and the cash journal that keeps every stacked note until the server
has it."""
import json
from decimal import Decimal

import pytest
import requests

from card_bridge import cli, client, kiosk_jobs
from card_bridge.acceptor import CcTalkBillAcceptor
from card_bridge.cash_journal import CashJournal
from card_bridge.drivers.base import CardError
from card_bridge.kiosk_jobs import Devices, run_device_job
from card_bridge.protocol import JobGuard, signed
from card_bridge.terminal import set_next
from card_bridge.virtual_acceptor import PtyLink, VirtualBillValidator
from card_bridge.virtual_printer import VirtualPrinter, decode_escpos

FAST = {'poll_interval': 0.01, 'idle_interval': 0.03, 'drain': 2.0}
DENOMINATIONS = ['1.00', '5.00', '10.00', '20.00', '50.00', '100.00']


def cash_job(job_id=7, limit='200.00', denominations=DENOMINATIONS):
    return {'job_id': job_id, 'nonce': f'n{job_id}', 'operation': 'cash', 'bridge_id': 3,
            'params': {'transaction': 'K0001', 'limit': limit, 'denominations': list(denominations)}}


class FakeServer:
    """Records every cash event. On each 'idle' it runs the next step of `script` (a
    function: the customer at the kiosk) and says go on; when the script is done it says stop
    (accept False, as when the customer presses Buy). `route` decides escrowed notes;
    `down_on` makes one event raise as an unreachable server does."""

    def __init__(self, validator=None, script=(), route=None, down_on=None):
        self.validator = validator
        self.script = list(script)
        self.route = route or (lambda value: 'stack')
        self.down_on = down_on
        self.calls = []

    def cash_event(self, job, event, **fields):
        self.calls.append((job['job_id'], job['nonce'], event, {k: str(v) for k, v in fields.items()}))
        if self.down_on and self.down_on(event, fields):
            raise requests.ConnectionError("connection refused")
        if event == 'escrow':
            return {'route': self.route(Decimal(str(fields['value']))), 'accept': True}
        if event == 'idle':
            if not self.script:
                return {'accept': False}
            self.script.pop(0)()
            return {'accept': True}
        return {'accept': True}

    def events(self, *kinds):
        return [(event, fields) for _, _, event, fields in self.calls if not kinds or event in kinds]


@pytest.fixture
def validator():
    return VirtualBillValidator()


@pytest.fixture
def acceptor(validator):
    with PtyLink(validator) as link:
        driver = CcTalkBillAcceptor(link.path, timeout=0.3)
        yield driver
        driver.close()


@pytest.fixture
def journal(tmp_path):
    return CashJournal(tmp_path / 'cash-journal.jsonl')


def run(job, acceptor, server, journal, **timing):
    return run_device_job(job, {'acceptor': acceptor}, server, journal, **{**FAST, **timing})


def insert(validator, value):
    return lambda: validator.insert(Decimal(value))


def test_notes_are_stacked_until_the_customer_buys(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '50'), insert(validator, '20')])
    result = run(cash_job(), acceptor, server, journal)
    assert result == {'job_id': 7, 'nonce': 'n7', 'ok': True, 'raw': '', 'error': '',
                      'data': {'notes': ['50.00', '20.00'], 'total': '70.00'}}
    assert server.events('escrow', 'stacked') == [
        ('escrow', {'value': '50.00'}), ('stacked', {'value': '50.00', 'seq': '1'}),
        ('escrow', {'value': '20.00'}), ('stacked', {'value': '20.00', 'seq': '2'})]
    assert server.events()[-1] == ('idle', {})                     # the idle answered accept False
    assert validator.cashbox == [Decimal('50.00'), Decimal('20.00')]
    assert not validator.master_enabled                              # disabled when the job ends
    assert journal.pending() == []
    lines = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert [(line['type'], line['seq']) for line in lines] == [('stacked', 1), ('ack', 1), ('stacked', 2), ('ack', 2)]
    assert lines[0]['value'] == '50.00' and lines[0]['transaction'] == 'K0001' and lines[0]['nonce'] == 'n7'


def test_the_server_says_return(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '100'), insert(validator, '10')],
                        route=lambda value: 'return' if value > 50 else 'stack')
    result = run(cash_job(), acceptor, server, journal)
    assert result['data'] == {'notes': ['10.00'], 'total': '10.00'}
    assert validator.cashbox == [Decimal('10.00')]
    assert [event for event, _ in server.events('escrow', 'stacked')] == ['escrow', 'escrow', 'stacked']


def test_accept_false_with_the_last_note_stacked(acceptor, validator, journal):
    """The limit reached by this very note: stack it, then stop; its credit arrives while the
    bridge closes the validator, and is reported like any other."""

    class LastNote(FakeServer):
        def cash_event(self, job, event, **fields):
            reply = super().cash_event(job, event, **fields)
            return {**reply, 'accept': False} if event == 'escrow' else reply

    server = LastNote(validator, [insert(validator, '100')])
    result = run(cash_job(), acceptor, server, journal)
    assert result['ok'] and result['data'] == {'notes': ['100.00'], 'total': '100.00'}
    assert server.events('stacked') == [('stacked', {'value': '100.00', 'seq': '1'})]
    assert journal.pending() == []


def test_a_note_past_the_limit_goes_back_without_asking(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '50'), insert(validator, '100')])
    result = run(cash_job(limit='100.00'), acceptor, server, journal)
    assert result['data']['notes'] == ['50.00']
    assert server.events('escrow') == [('escrow', {'value': '50.00'})]
    assert validator.cashbox == [Decimal('50.00')] and validator.escrow is None


def test_server_unreachable_mid_job(acceptor, validator, journal):
    """The network drops as the second note is stacked: the acceptor is disabled, the note stays
    in the journal, and the replay (at the next start or reconnect) posts it with its seq."""
    server = FakeServer(validator, [insert(validator, '50'), insert(validator, '20'), insert(validator, '10')],
                        down_on=lambda event, fields: event == 'stacked' and fields.get('seq') == 2)
    result = run(cash_job(), acceptor, server, journal)
    assert result['ok'] and result['error'] == 'server_unreachable'
    assert result['data'] == {'notes': ['50.00', '20.00'], 'total': '70.00'}
    assert not validator.master_enabled
    assert validator.cashbox == [Decimal('50.00'), Decimal('20.00')]
    assert [(entry['seq'], entry['value']) for entry in journal.pending()] == [(2, '20.00')]
    assert server.events('idle') == [('idle', {}), ('idle', {})]    # nothing asked after the drop

    reopened = CashJournal(journal.path)                              # the kiosk restarted
    assert [(entry['job_id'], entry['seq']) for entry in reopened.pending()] == [(7, 2)]
    back = FakeServer()
    assert reopened.replay(back) == 1
    assert back.calls == [(7, 'n7', 'stacked', {'value': '20.00', 'seq': '2'})]
    assert reopened.pending() == [] and CashJournal(journal.path).pending() == []
    assert reopened.replay(back) == 0 and len(back.calls) == 1


def test_replay_waits_for_the_server(journal):
    job = cash_job()
    journal.record(job, 'K0001', 1, Decimal('50.00'))
    journal.record(job, 'K0001', 2, Decimal('20.00'))
    down = FakeServer(down_on=lambda event, fields: True)
    assert journal.replay(down) == 0 and len(down.calls) == 1        # unreachable: try again later
    assert len(journal.pending()) == 2

    class Refusing(FakeServer):
        def cash_event(self, job, event, **fields):
            super().cash_event(job, event, **fields)
            if fields['seq'] == 1:
                raise client.ServerError("unknown job")
            return {'accept': True}

    refusing = Refusing()
    assert journal.replay(refusing) == 1                               # a refused note stays pending
    assert [entry['seq'] for entry in journal.pending()] == [1]
    assert [fields['seq'] for *_, fields in refusing.calls] == ['1', '2']


def test_server_unreachable_with_a_note_in_escrow(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '50')], down_on=lambda event, fields: event == 'escrow')
    result = run(cash_job(), acceptor, server, journal)
    assert result['error'] == 'server_unreachable' and result['data']['notes'] == []
    assert validator.cashbox == [] and validator.escrow is None       # handed back, never stacked
    assert journal.pending() == [] and not validator.master_enabled


def test_jam_stops_the_job_and_keeps_what_was_stacked(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '20'), insert(validator, '50'), validator.jam])
    result = run(cash_job(), acceptor, server, journal)
    assert result['ok'] and result['error'] == 'jam'
    assert result['data'] == {'notes': ['20.00', '50.00'], 'total': '70.00'}
    assert ('fault', {'code': 'jam'}) in server.events('fault')
    assert acceptor.state == 'jam'


def test_cashbox_full_stops_the_job(acceptor, validator, journal):
    validator.capacity = 1
    server = FakeServer(validator, [insert(validator, '100'), insert(validator, '100')])
    result = run(cash_job(), acceptor, server, journal)
    assert result['error'] == 'cashbox_full'
    assert result['data']['notes'] == ['100.00']
    assert server.events('fault') == [('fault', {'code': 'cashbox_full'})]
    assert validator.insert(Decimal('100')) == 'cashbox_full'


def test_rejected_notes_and_a_reset_do_not_stop_the_job(acceptor, validator, journal):
    server = FakeServer(validator, [insert(validator, '7'), validator.power_cycle, insert(validator, '5')])
    result = run(cash_job(), acceptor, server, journal)
    assert result['error'] == '' and result['data']['notes'] == ['5.00']   # re-enabled after the reset
    assert server.events('fault') == [('fault', {'code': 'rejected'}), ('fault', {'code': 'reset'})]


def test_acceptor_offline(tmp_path, journal):
    validator = VirtualBillValidator()
    with PtyLink(validator) as link:
        driver = CcTalkBillAcceptor(link.path, timeout=0.05, retries=1)
        link.mute = True
        result = run(cash_job(), driver, FakeServer(), journal)
        assert result['ok'] is False and result['error'] == 'offline'
        link.mute = False
        server = FakeServer(validator, [insert(validator, '10'), lambda: setattr(link, 'mute', True)])
        result = run(cash_job(), driver, server, journal)
        assert result['ok'] and result['error'] == 'offline' and result['data']['notes'] == ['10.00']
        assert server.events('fault') == [('fault', {'code': 'offline'})]
        driver.close()


def test_no_acceptor(journal):
    result = run_device_job(cash_job(), {}, FakeServer(), journal)
    assert result == {'job_id': 7, 'nonce': 'n7', 'ok': False, 'raw': '', 'error': 'no_acceptor', 'data': {}}
    assert run_device_job({**cash_job(), 'operation': 'dance'}, {}, FakeServer(), journal)['error'] == \
        'unknown_operation'


# ------------------------------------------------------------------ print, pay, void
def test_print_pay_void(tmp_path, journal):
    """The device jobs on the virtual ESC/POS printer (over TCP) and the simulated terminal."""
    with VirtualPrinter(port=0, directory=tmp_path / 'slips') as printer:
        url = f'tcp://127.0.0.1:{printer.port}'
        terminal_url = f'sim://{tmp_path}/terminal.json?timeout_delay=0'
        devices = Devices(printer=url, terminal=terminal_url)
        job = {'job_id': 8, 'nonce': 'n8', 'operation': 'print',
               'params': {'slip': {'title': '购电凭证', 'lines': [['金额', '100.00']]}}}
        assert run_device_job(job, devices, FakeServer(), journal) == \
            {'job_id': 8, 'nonce': 'n8', 'ok': True, 'raw': '', 'error': '', 'data': {'paper': 'ok'}}
        printed = decode_escpos(printer.wait_for_jobs(1)[0].read_bytes())
        assert '购电凭证' in printed and '100.00' in printed and printed.cut
        printer.set_paper('low')
        assert run_device_job(job, devices, FakeServer(), journal)['ok']
        assert devices.status()['printer'] == {'state': 'paper_low'}
        printer.set_paper('out')
        jammed = run_device_job(job, devices, FakeServer(), journal)
        assert (jammed['ok'], jammed['error']) == (False, 'paper_out')
        assert devices.status()['printer'] == {'state': 'paper_out'}

    pay = {'job_id': 9, 'nonce': 'n9', 'operation': 'pay', 'params': {'reference': 'K0001', 'amount': '120.00'}}
    result = run_device_job(pay, devices, FakeServer(), journal)
    assert result['ok'] and result['data']['outcome'] == 'approved'
    set_next(terminal_url, 'decline')
    declined = run_device_job({**pay, 'params': {'reference': 'K0002', 'amount': '90.00'}}, devices, FakeServer(),
                              journal)
    assert (declined['ok'], declined['error']) == (False, 'declined')
    set_next(terminal_url, 'timeout')
    late = run_device_job({**pay, 'params': {'reference': 'K0003', 'amount': '20.00'}}, devices, FakeServer(),
                          journal)
    assert late['ok'] and late['data']['outcome'] == 'approved', "found by lookup after the timeout"
    again = run_device_job(pay, devices, FakeServer(), journal)
    assert again['data']['authorization'] == result['data']['authorization'], "one debit per reference"
    void = {'job_id': 10, 'nonce': 'n10', 'operation': 'void', 'params': {'reference': 'K0001'}}
    assert run_device_job(void, devices, FakeServer(), journal)['ok']
    twice = run_device_job(void, devices, FakeServer(), journal)
    assert (twice['ok'], twice['error']) == (False, 'already_voided')
    assert run_device_job(void, Devices(), FakeServer(), journal)['error'] == 'no_terminal'
    assert run_device_job(job, Devices(), FakeServer(), journal)['error'] == 'no_printer'


# ------------------------------------------------------------------ the bridge's loop and client
SECRET = 'ab' * 32


class PollingServer(FakeServer):
    def __init__(self, jobs, **kwargs):
        super().__init__(**kwargs)
        self.jobs = jobs
        self.polls, self.results = [], []

    def poll(self, wait=20, readers=(), devices=None):
        self.polls.append({'readers': list(readers), 'devices': devices})
        jobs, self.jobs = self.jobs, []
        return jobs

    def result(self, result):
        self.results.append(result)

    def event(self, *args):
        raise AssertionError("no reader, no card event")


def test_serve_runs_cash_jobs_and_reports_devices(monkeypatch, acceptor, validator, journal):
    def no_reader(name=None):
        raise CardError("no PC/SC reader found")

    monkeypatch.setattr(cli, '_pick_reader', no_reader)
    monkeypatch.setattr(kiosk_jobs, 'TIMING', FAST)
    job = {**cash_job(), 'expires': 2e9}
    guard = JobGuard(3, SECRET, clock=lambda: 2e9 - 30)
    server = PollingServer([signed(SECRET, job)], validator=validator, script=[insert(validator, '20')])
    journal.record(cash_job(job_id=5), 'K0000', 1, Decimal('10.00'))     # left over from a crash
    cli.serve(server, guard, wait=0, once=True, devices=Devices(acceptor=acceptor), journal=journal)
    assert server.calls[0] == (5, 'n5', 'stacked', {'value': '10.00', 'seq': '1'})    # replayed first
    assert server.polls == [{'readers': [], 'devices': {'acceptor': {'state': 'ok'},
                                                        'printer': {'state': 'not_configured'},
                                                        'terminal': {'state': 'not_configured'}}}]
    assert [(result['job_id'], result['ok'], result['data']) for result in server.results] == [
        (7, True, {'notes': ['20.00'], 'total': '20.00'})]
    assert journal.pending() == []
    with pytest.raises(CardError):                      # no devices: a missing reader is an error, as before
        cli.serve(server, guard, wait=0, once=True)


def test_cash_event_and_poll_requests():
    class Session:
        def __init__(self):
            self.posts = []

        def post(self, url, data, timeout, headers):
            self.posts.append((url, json.loads(data), headers))
            response = requests.Response()
            response.status_code = 200
            response._content = b'{"route": "stack", "accept": true, "jobs": []}'
            return response

    session = Session()
    server = client.ServerClient('https://odoo.example/', 3, SECRET, session=session)
    reply = server.cash_event({'job_id': 7, 'nonce': 'n7', 'params': {}}, 'stacked', value=Decimal('50.00'), seq=1)
    assert reply == {'route': 'stack', 'accept': True, 'jobs': []}
    url, body, headers = session.posts[0]
    assert url == 'https://odoo.example/prepaid/bridge/cash'
    assert body == {'job_id': 7, 'nonce': 'n7', 'event': 'stacked', 'value': '50.00', 'seq': 1}
    assert headers['X-Bridge-Id'] == '3' and headers['X-Bridge-Signature']
    server.poll(wait=0)
    assert session.posts[1][1] == {'wait': 0, 'readers': []}                       # as before
    server.poll(wait=0, devices={'acceptor': {'state': 'jam'}})
    assert session.posts[2][1] == {'wait': 0, 'readers': [], 'devices': {'acceptor': {'state': 'jam'}}}
