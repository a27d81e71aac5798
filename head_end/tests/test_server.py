"""ServerBackend against a fake Odoo server: a real stdlib HTTP server on loopback, in a thread,
that checks the signatures with its own copy of the server's check (replays and wrong secrets get
403), serves a Work, keeps the reports, and can be told to answer 503 or be stopped."""
import datetime as dt
import hashlib
import hmac
import http.server
import json
import logging
import os
import stat
import threading
import time
from decimal import Decimal

import pytest
from helpers import run, until

from head_end import auth, server
from head_end.backend import Command, CommandResult, ConcentratorSpec, LogEntry, MeterSpec, ReadTask, Report, Work
from head_end.cli import build_parser, main
from head_end.server import ServerBackend
from head_end.service import HeadEnd
from head_end.virtual import SimClock, VirtualConcentrator, VirtualMeter

SECRET = 'a5' * 32
CODE = '12345678'
BRIDGE = 7
ASSET = '17000405'
ROOM1, ROOM2 = '170004050001', '170004050002'
AT = dt.datetime(2025, 3, 10, 4, tzinfo=dt.UTC)
# The signature of bridge 7, secret '00' * 32, timestamp 1700000000000000, body b'{}' (also what
# card_bridge.protocol.request_signature gives).
KNOWN_SIGNATURE = 'bdcd4c37e79b518585757b3e0722c6b61c7b4832eac49cdcae1487e0e3c4fc4c'


def signed_by(bridge_id, secret_hex, timestamp, body, signature):
    """The fake server's own copy of the check (card_bridge/protocol.py, request_signed_by)."""
    digest = hashlib.sha256(body).hexdigest()
    expected = hmac.new(bytes.fromhex(secret_hex), f'{bridge_id}\n{timestamp}\n{digest}'.encode(),
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(signature))


class FakeOdoo:
    """The head-end routes of the Odoo server."""

    def __init__(self):
        self.work = Work()
        self.reports: list[Report] = []
        self.status = None                # answer this to every signed request (503…)
        self.page = None                  # answer 200 with this HTML page (a proxy's, not Odoo's route)
        self.refuse = None                # report -> error message: answer 400 {"error": …}
        self.last_timestamp = 0
        self.refused = 0                  # 403 given
        self.names = []
        self.port = 0
        self._http = None
        self.start()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                status, answer = fake.handle(self.path, self.headers, body)
                raw = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'text/html' if isinstance(answer, str) else 'application/json')
                self.send_header('Content-Length', str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._http = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self._http.shutdown()
        self._http.server_close()

    def handle(self, path, headers, body):
        if path == '/prepaid/head_end/pair':
            data = json.loads(body)
            if data.get('code') != CODE:
                return 403, {'error': "unknown or expired pairing code"}
            self.names.append(data.get('name'))
            return 200, {'bridge_id': BRIDGE, 'secret': SECRET}
        try:
            bridge_id, timestamp = int(headers.get('X-Bridge-Id', '')), int(headers.get('X-Bridge-Time', ''))
        except ValueError:
            bridge_id = timestamp = None
        if (bridge_id != BRIDGE or headers.get('Content-Type') != 'application/json'
                or not signed_by(bridge_id, SECRET, timestamp, body, headers.get('X-Bridge-Signature', ''))
                or timestamp <= self.last_timestamp or abs(time.time_ns() // 1000 - timestamp) > 60_000_000):
            self.refused += 1
            return 403, {'error': "access denied"}
        self.last_timestamp = timestamp
        if self.status:
            return self.status, {'error': "service unavailable"}
        if self.page:
            return 200, self.page
        if path == '/prepaid/head_end/work':
            assert body == b'{}'
            return 200, self.work.to_json()
        if path == '/prepaid/head_end/report':
            try:
                report = Report.from_json(json.loads(body))
            except ValueError as error:
                return 400, {'error': str(error)}
            if self.refuse and self.refuse(report):
                return 400, {'error': self.refuse(report)}
            self.reports.append(report)
            return 200, {'ok': True}
        return 404, {'error': "not found"}


@pytest.fixture
def odoo():
    fake = FakeOdoo()
    yield fake
    fake.stop()


@pytest.fixture
def config(odoo, tmp_path):
    path = tmp_path / 'server.json'
    server.pair(odoo.url, CODE, path, 'he-test')
    return path


def tagged(tag):
    """A small report to follow through the spool."""
    return Report(log=[LogEntry(AT, ASSET, ROOM1, 'relay', 'ok', tag)])


def tags(reports):
    return [entry.detail for report in reports for entry in report.log]


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_the_signature_is_the_card_bridges():
    assert auth.request_signature(7, '00' * 32, 1700000000000000, b'{}') == KNOWN_SIGNATURE
    headers = auth.request_headers(7, SECRET, b'{"a":1}')
    assert set(headers) == {'X-Bridge-Id', 'X-Bridge-Time', 'X-Bridge-Signature', 'Content-Type'}
    assert headers['X-Bridge-Id'] == '7' and headers['Content-Type'] == 'application/json'
    assert signed_by(7, SECRET, int(headers['X-Bridge-Time']), b'{"a":1}', headers['X-Bridge-Signature'])
    assert abs(int(headers['X-Bridge-Time']) - time.time_ns() // 1000) < 5_000_000        # microseconds


def test_timestamps_strictly_increase_within_the_process():
    stamps = [auth.next_timestamp() for _ in range(2000)]
    assert all(later > earlier for earlier, later in zip(stamps, stamps[1:]))


def test_pairing_writes_the_config(odoo, tmp_path):
    path = tmp_path / 'etc' / 'server.json'
    config = server.pair(odoo.url + '/', CODE, path, 'he-1')
    assert config == server.ServerConfig(odoo.url, BRIDGE, SECRET)
    assert json.loads(path.read_text()) == {'url': odoo.url, 'bridge_id': BRIDGE, 'secret': SECRET}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and odoo.names == ['he-1']
    assert server.load_config(path) == config
    with pytest.raises(server.ServerError, match="unknown or expired pairing code"):
        server.pair(odoo.url, '87654321', tmp_path / 'other.json', 'he-1')
    assert not (tmp_path / 'other.json').exists()
    with pytest.raises(server.ServerError, match="8 digits"):
        server.pair(odoo.url, '1234', tmp_path / 'other.json')


def test_the_config_is_checked(config):
    os.chmod(config, 0o644)
    with pytest.raises(server.ConfigError, match="readable by other users"):
        ServerBackend(config)
    os.chmod(config, 0o600)
    config.write_text(json.dumps({'url': 'http://x', 'bridge_id': 7, 'secret': 'zz'}))
    with pytest.raises(server.ConfigError, match="secret"):
        ServerBackend(config)
    with pytest.raises(server.ConfigError, match="not paired"):
        ServerBackend(config.with_name('missing.json'))


def test_the_work_is_fetched(odoo, config):
    odoo.work = Work([ConcentratorSpec(ASSET, meters=[MeterSpec(ROOM1)])], [ReadTask(ROOM1, 'daily', [1, 2])],
                     [Command('42', ROOM1, 'trip', AT + dt.timedelta(days=1))])
    backend = ServerBackend(config)
    assert run(backend.fetch_work()) == odoo.work
    assert run(backend.fetch_work()) == odoo.work          # a second request, a later timestamp
    assert odoo.refused == 0


def test_a_report_is_delivered(odoo, config):
    backend = ServerBackend(config)
    report = Report(commands=[CommandResult('42', ROOM1, 'trip', 'confirmed', AT, sent=True)])
    run(backend.report(report))
    assert odoo.reports == [report]
    assert backend.waiting() == 0 and not backend.spool.path.exists()


def test_reports_spooled_while_the_server_is_down_are_delivered_in_order(odoo, config):
    backend = ServerBackend(config, timeout=2, retry_after=0)
    odoo.stop()
    run(backend.report(tagged('r1')))
    run(backend.report(tagged('r2')))
    assert backend.waiting() == 2 and tags(Report.from_json(line) for line in lines(backend.spool.path)) == ['r1', 'r2']
    with pytest.raises(server.ServerError, match="cannot be reached"):
        run(backend.fetch_work())
    odoo.start()                                            # back, on the same port
    odoo.status = 503
    run(backend.report(tagged('r3')))
    assert backend.waiting() == 3 and odoo.reports == []
    odoo.status = None
    run(backend.report(tagged('r4')))
    assert tags(odoo.reports) == ['r1', 'r2', 'r3', 'r4']
    assert backend.waiting() == 0 and not backend.spool.path.exists()


def test_a_200_that_is_not_the_servers_answer_keeps_the_report(odoo, config):
    backend = ServerBackend(config, retry_after=0)
    odoo.page = '<html>Welcome to our proxy</html>'
    run(backend.report(tagged('r1')))
    with pytest.raises(server.ServerError, match="not JSON"):
        run(backend.fetch_work())
    assert backend.waiting() == 1 and odoo.reports == []
    odoo.page = None
    run(backend.report(tagged('r2')))
    assert tags(odoo.reports) == ['r1', 'r2']


def test_the_spool_survives_a_restart_and_goes_before_the_work(odoo, config):
    backend = ServerBackend(config, timeout=2, retry_after=60)
    odoo.status = 503
    result = CommandResult('42', ROOM1, 'trip', 'unknown', AT, 'no_answer', sent=True)
    run(backend.report(Report(commands=[result])))
    run(backend.report(tagged('r2')))                       # within retry_after: spooled without trying
    assert backend.waiting() == 2 and odoo.refused == 0
    odoo.work = Work(commands=[Command('42', ROOM1, 'trip', AT + dt.timedelta(days=1)),
                               Command('43', ROOM2, 'trip', AT + dt.timedelta(days=1))])
    fresh = ServerBackend(config)                           # the head-end restarted
    with pytest.raises(server.ServerError, match="503"):
        run(fresh.fetch_work())
    odoo.status = None
    work = run(fresh.fetch_work())                          # the spool is delivered first
    assert [r.commands for r in odoo.reports] == [[result], []] and tags(odoo.reports) == ['r2']
    assert [c.sent_before for c in work.commands] == [False, False] and fresh.waiting() == 0


def test_commands_whose_results_wait_in_the_spool_are_read_before_being_sent_again(odoo, config):
    backend = ServerBackend(config, retry_after=0)
    odoo.work = Work(commands=[Command('42', ROOM1, 'trip', AT + dt.timedelta(days=1)),
                               Command('43', ROOM2, 'trip', AT + dt.timedelta(days=1))])
    backend.spool.append(json.dumps(Report(commands=[
        CommandResult('42', ROOM1, 'trip', 'unknown', AT, 'no_answer', sent=True)]).to_json()))
    original = backend._post
    backend._post = lambda path, body: (503, {}) if path == server.REPORT_PATH else original(path, body)
    work = run(backend.fetch_work())
    assert [c.sent_before for c in work.commands] == [True, False] and backend.waiting() == 1


def test_a_wrong_secret_gets_403_and_keeps_the_report(odoo, config, caplog):
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, 'secret': 'ff' * 32}))
    backend = ServerBackend(config, retry_after=0)
    with caplog.at_level(logging.ERROR, logger='head_end.server'):
        with pytest.raises(server.NotPaired, match="pair again"):
            run(backend.fetch_work())
        run(backend.report(tagged('r1')))
    assert odoo.refused == 2 and odoo.reports == []
    assert backend.waiting() == 1 and not backend.rejected_path.exists()      # kept, not rejected
    assert "refused bridge 7 (HTTP 403" in caplog.text and "head-end pair" in caplog.text
    server.pair(odoo.url, CODE, config, 'he-test')                            # paired again while running
    run(backend.report(tagged('r2')))
    assert tags(odoo.reports) == ['r1', 'r2'] and backend.waiting() == 0


def test_the_fake_server_refuses_a_replayed_request(odoo, config):
    body = b'{}'
    headers = auth.request_headers(BRIDGE, SECRET, body)

    def send():
        return server.post(odoo.url + server.WORK_PATH, body, headers, 5)[0]
    assert send() == 200 and send() == 403
    other = auth.request_headers(BRIDGE, 'ff' * 32, body)
    assert server.post(odoo.url + server.WORK_PATH, body, other, 5)[0] == 403


def test_a_report_refused_for_its_content_goes_to_rejected(odoo, config, caplog):
    backend = ServerBackend(config, retry_after=0)
    odoo.refuse = lambda report: "unknown meter 999999999999" if 'bad' in tags([report]) else None
    odoo.status = 503
    run(backend.report(tagged('r1')))
    run(backend.report(tagged('bad')))
    odoo.status = None
    with caplog.at_level(logging.ERROR, logger='head_end.server'):
        run(backend.report(tagged('r3')))
    assert tags(odoo.reports) == ['r1', 'r3'] and backend.waiting() == 0
    [rejected] = lines(backend.rejected_path)
    assert (rejected['status'], rejected['error']) == (400, "unknown meter 999999999999")
    assert tags([Report.from_json(rejected['report'])]) == ['bad']
    assert "refused a report (HTTP 400: unknown meter 999999999999)" in caplog.text


def test_a_torn_spool_line_does_not_block_the_queue(odoo, config):
    backend = ServerBackend(config)
    backend.spool.path.write_text('{"log": [{"at"')                          # a crash while appending
    run(backend.report(tagged('r1')))
    assert tags(odoo.reports) == ['r1'] and backend.waiting() == 0
    assert lines(backend.rejected_path)[0]['report'] == '{"log": [{"at"'


def test_a_head_end_delivers_daily_readings_to_the_server(odoo, config):
    async def scenario():
        backend = ServerBackend(config, timeout=5)
        head = HeadEnd(backend, host='127.0.0.1', port=0, meter_timeout=0.15, link_margin=0.5)
        await head.start()
        clock = SimClock(dt.datetime(2025, 3, 10, 12, 0), speed=0)
        meters = [VirtualMeter(address, clock) for address in (ROOM1, ROOM2)]
        concentrator = VirtualConcentrator(ASSET, '127.0.0.1', head.port, heartbeat=0.1, reconnect=0.05)
        for meter in meters:
            concentrator.add_meter(meter, port=2)
        concentrator.start()
        try:
            await until(lambda: head.concentrator_online(ASSET))
            clock.advance(dt.timedelta(days=2))
            odoo.work = Work([ConcentratorSpec(ASSET, meters=[MeterSpec(m.address) for m in meters])],
                             [ReadTask(ROOM1, 'daily', [1, 2]), ReadTask(ROOM2, 'daily', [1])])
            await head.run_once()
        finally:
            await concentrator.stop()
            await head.close()
        merged = Report()
        for report in odoo.reports:
            merged.extend(report)
        assert [(r.meter, r.day) for r in merged.daily] == [
            (ROOM1, dt.date(2025, 3, 11)), (ROOM1, dt.date(2025, 3, 10)), (ROOM2, dt.date(2025, 3, 11))]
        assert merged.daily[1].total == Decimal('6.70') and merged.daily[0].total == Decimal('16.50')
        assert merged.concentrators[0].asset == ASSET and merged.concentrators[0].online
        assert {entry.result for entry in merged.log} == {'ok'} and merged.log[0].frames
        assert backend.waiting() == 0 and odoo.refused == 0
    run(scenario())


def test_cli_pair_and_run_options(odoo, tmp_path, capsys):
    path = tmp_path / 'server.json'
    assert main(['pair', odoo.url, CODE, '--config', str(path), '--name', 'he-cli']) == 0
    assert f"paired as bridge {BRIDGE}" in capsys.readouterr().out and SECRET not in path.name
    assert server.load_config(path).secret == SECRET and odoo.names == ['he-cli']
    assert main(['pair', odoo.url, '00000000', '--config', str(tmp_path / 'x.json')]) == 1
    assert "pairing refused" in capsys.readouterr().err
    args = build_parser().parse_args(['run', '--server-config', str(path), '--poll', '5'])
    assert (args.server_config, args.work, args.poll) == (path, None, 5.0)
    for wrong in (['run'], ['run', '--server-config', str(path), '--work', 'w.json']):
        with pytest.raises(SystemExit):
            build_parser().parse_args(wrong)
    with pytest.raises(SystemExit):
        main(['run', '--server-config', str(path), '--reports', 'r.jsonl'])
    assert main(['run', '--server-config', str(tmp_path / 'missing.json')]) == 1
    assert "not paired" in capsys.readouterr().err
