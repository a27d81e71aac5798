"""Odoo in multi-worker mode on the HA cluster (`make ha`): 100 concurrent clients vending to distinct
accounts for a minute, then the same with reports running on the replica at the same time.

Each client is a thread that tops up its own remote account through JSON-2
(`/json/2/prepaid.account/action_top_up_request`, the same call as the failover proof), one request
after the other, each with its own client request id. It prints, for each phase: vends per second,
the latency's p50/p90/p99/max, the errors (must be 0), where the vends and the reports ran (Odoo logs
`ro` for a request on the replica, `rw` on the primary) and, with reports, the reports made.

The reports are what an accountant runs while the tills sell: the sales report's PDF
(`/report/pdf/...`) and XLSX (`/prepaid_electricity/sales_report/<id>/xlsx`), and the dashboard's
figures (`prepaid.dashboard.get_data`); all three are read-only routes or methods, so that Odoo runs
them on `db_replica_*` (HAProxy's read-only port).

Usage: `bash bench/run.sh ha` (starts the cluster first), or with the cluster up:
`python bench/ha_bench.py [--clients 100] [--seconds 60] [--report-clients 2]`."""
import argparse
import http.cookiejar
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'scripts'))
import ha_test  # noqa: E402  (the cluster's helpers: its addresses, secrets, Odoo shell, JSON-2 call)

REPORTER_CODE = r'''
import json, secrets
from odoo import fields
env = env(context=dict(env.context, tracking_disable=True))
company = env.ref('prepaid_electricity.prepaid_account_room_101_demo').company_id
user = env['res.users'].search([('login', '=', 'ha_reporter')])
password = secrets.token_urlsafe(18)
if not user:
    user = env['res.users'].create({
        'name': 'HA bench accountant', 'login': 'ha_reporter', 'company_id': company.id,
        'company_ids': [(6, 0, [company.id])],
        'group_ids': [(4, env.ref('prepaid_electricity.prepaid_electricity_group_manager').id)]})
user.password = password
today = fields.Date.context_today(user)
wizard = env['prepaid.sales.report.print'].with_user(user).create(
    {'report_kind': 'monthly', 'year': today.year, 'month': str(today.month), 'grouping': 'customer'})
env.cr.commit()
print('HA_REPORTER=' + json.dumps({'login': user.login, 'password': password, 'wizard': wizard.id}))
'''


BRIDGES_CODE = r'''
import json
codes = []
for i in range(int(N_BRIDGES)):
    bridge = env['prepaid.card.bridge'].create({'name': f'HA bench workstation {i}'})
    bridge.action_new_pairing_code()
    codes.append(bridge.pairing_code)
env.cr.commit()
print('HA_BRIDGES=' + json.dumps(codes))
'''


class Bridges:
    """`n` card bridges (the tills' workstations), paired with the cluster and long-polling it (20 s
    each, as they do by default) while the clients vend: their waits are on the gevent worker."""

    def __init__(self, n, workdir):
        self.n = n
        self.workdir = workdir
        self.procs = []

    def start(self):
        if not self.n:
            return
        codes = json.loads(ha_test.odoo_shell(BRIDGES_CODE.replace('int(N_BRIDGES)', str(self.n)), 'HA_BRIDGES'))
        bridge = str(Path(sys.executable).parent / 'card-bridge')
        self.workdir.mkdir(parents=True, exist_ok=True)
        for i, code in enumerate(codes):
            conf = self.workdir / f'bridge-{i}.json'
            conf.unlink(missing_ok=True)
            subprocess.run([bridge, '--config', str(conf), 'pair', ha_test.ODOO_URL, code, '--name', f'bench-{i}'],
                           check=True, capture_output=True, timeout=60)
            log = open(self.workdir / f'bridge-{i}.log', 'w')  # noqa: SIM115 (the process keeps it)
            self.procs.append(subprocess.Popen([bridge, '--config', str(conf), 'run', '--wait', '20'],
                                               stdout=log, stderr=subprocess.STDOUT))
        time.sleep(3)   # every bridge waits in its first long poll

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(30)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Vending:
    """`n` clients, each topping up its own account, until `stop`."""

    def __init__(self, setup, n):
        self.accounts = setup['accounts']
        self.key = setup['key']
        self.n = n
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.latencies = []
        self.errors = {}

    def client(self, index):
        account_id = self.accounts[index]
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                status, result = ha_test.top_up_request(self.key, account_id, '10.00', str(uuid.uuid4()))
                ok = status == 200 and result.get('vend_id')
                error = None if ok else f'{status}: {str(result)[:100]}'
            except urllib.error.HTTPError as err:
                error = f'{err.code}: {err.read().decode(errors="replace")[:100]}'
            except (OSError, ValueError) as err:
                error = repr(err)[:100]
            elapsed = time.monotonic() - started
            with self.lock:
                if error:
                    self.errors[error] = self.errors.get(error, 0) + 1
                else:
                    self.latencies.append(elapsed)

    def run(self, seconds):
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.n)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(120)
        return time.monotonic() - started


class Reports:
    """`n` accountants, each running the sales report (PDF, XLSX) and the dashboard in turn."""

    def __init__(self, reporter, n):
        self.reporter = reporter
        self.n = n
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = {'pdf': [], 'xlsx': [], 'dashboard': []}
        self.errors = {}

    def session(self):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'params': {
            'db': ha_test.DB, 'login': self.reporter['login'], 'password': self.reporter['password']}}).encode()
        request = urllib.request.Request(f'{ha_test.ODOO_URL}/web/session/authenticate', data=body,
                                         headers={'Content-Type': 'application/json'})
        with opener.open(request, timeout=60) as resp:
            answer = json.load(resp)
        if answer.get('error'):
            sys.exit(f'the accountant cannot log in: {answer["error"]}')
        return opener

    def fetch(self, opener, kind):
        wizard = self.reporter['wizard']
        if kind == 'pdf':
            request = urllib.request.Request(f'{ha_test.ODOO_URL}/report/pdf/prepaid_electricity.report_sales/{wizard}')
        elif kind == 'xlsx':
            request = urllib.request.Request(f'{ha_test.ODOO_URL}/prepaid_electricity/sales_report/{wizard}/xlsx')
        else:
            body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'params': {
                'model': 'prepaid.dashboard', 'method': 'get_data', 'args': [], 'kwargs': {}}}).encode()
            request = urllib.request.Request(f'{ha_test.ODOO_URL}/web/dataset/call_kw/prepaid.dashboard/get_data',
                                             data=body, headers={'Content-Type': 'application/json'})
        with opener.open(request, timeout=300) as resp:
            content = resp.read()
        if kind == 'pdf' and not content.startswith(b'%PDF'):
            raise ValueError('not a PDF')
        if kind == 'xlsx' and not content.startswith(b'PK'):
            raise ValueError('not an XLSX file')
        if kind == 'dashboard' and json.loads(content).get('error'):
            raise ValueError(json.loads(content)['error'].get('message'))

    def client(self, index):
        opener = self.session()
        kinds = ['pdf', 'xlsx', 'dashboard']
        turn = index
        while not self.stop.is_set():
            kind = kinds[turn % len(kinds)]
            turn += 1
            started = time.monotonic()
            try:
                self.fetch(opener, kind)
            except (OSError, ValueError) as err:
                with self.lock:
                    key = f'{kind}: {str(err)[:100]}'
                    self.errors[key] = self.errors.get(key, 0) + 1
                continue
            with self.lock:
                self.done[kind].append(time.monotonic() - started)

    def start(self):
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.n)]
        for thread in self.threads:
            thread.start()

    def join(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(300)


REPORT_ROUTES = ('/report/pdf/', '/sales_report/', 'prepaid.dashboard/get_data')


class OdooLogs:
    """Where each request ran, from the Odoo logs of the sales and report workers: Odoo ends each
    request's log line with `ro` (a cursor on db_replica_*, HAProxy's read-only port) or `rw`."""

    def __init__(self):
        self.paths = {'sales': ha_test.HA / 'log/odoo.log', 'reports': ha_test.HA / 'log/odoo-reports.log'}
        self.offsets = {name: path.stat().st_size if path.exists() else 0 for name, path in self.paths.items()}

    def counts(self):
        """{'vends ro', 'vends rw', 'reports ro', 'reports rw'}: the requests logged since the start."""
        counts = {'vends_on_replica': 0, 'vends_on_primary': 0, 'reports_on_replica': 0, 'reports_on_primary': 0,
                  'bridge_long_polls_on_gevent': 0, 'bridge_long_polls_on_workers': 0}
        for name, path in self.paths.items():
            with open(path, 'rb') as log:
                log.seek(self.offsets[name])
                for line in log.read().decode(errors='replace').splitlines():
                    if '/prepaid/bridge/poll' in line:   # the gevent worker logs as `longpolling`
                        counts['bridge_long_polls_on_gevent' if 'longpolling' in line
                               else 'bridge_long_polls_on_workers'] += 1
                        continue
                    if 'werkzeug' not in line or not line.rstrip().endswith((' ro', ' rw')):
                        continue
                    where = 'replica' if line.rstrip().endswith(' ro') else 'primary'
                    if 'action_top_up_request' in line:
                        counts[f'vends_on_{where}'] += 1
                    elif any(route in line for route in REPORT_ROUTES):
                        counts[f'reports_on_{where}'] += 1
        return counts


def phase(title, setup, args, reporter=None):
    reports = Reports(reporter, args.report_clients) if reporter else None
    logs = OdooLogs()
    if reports:
        reports.start()
        time.sleep(3)   # the accountants logged in and at work before the tills start
    vending = Vending(setup, args.clients)
    elapsed = vending.run(args.seconds)
    if reports:
        reports.join()
    lat = vending.latencies
    figures = {
        'vends': len(lat), 'vends_per_second': round(len(lat) / elapsed, 1),
        'p50_ms': round(percentile(lat, 50) * 1000) if lat else None,
        'p90_ms': round(percentile(lat, 90) * 1000) if lat else None,
        'p99_ms': round(percentile(lat, 99) * 1000) if lat else None,
        'max_ms': round(max(lat) * 1000) if lat else None,
        'errors': sum(vending.errors.values()),
    }
    figures.update(logs.counts())
    if reports:
        for kind, times in reports.done.items():
            figures[f'reports_{kind}'] = len(times)
            figures[f'reports_{kind}_p50_ms'] = round(statistics.median(times) * 1000) if times else None
        figures['report_errors'] = sum(reports.errors.values())
    print(f'\n{title} ({args.clients} clients, {elapsed:.0f} s)', flush=True)
    for key, value in figures.items():
        print(f'  {key:34} {value}', flush=True)
    for kind, n in list(vending.errors.items())[:5] + list((reports.errors if reports else {}).items())[:5]:
        print(f'  error x{n}: {kind}', flush=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=60)
    parser.add_argument('--report-clients', type=int, default=2)
    parser.add_argument('--bridges', type=int, default=10,
                        help='card bridges long-polling the cluster meanwhile (the tills\' workstations)')
    parser.add_argument('--stations', type=int, default=10,
                        help='the accounts are spread over this many new stations, each with its cash journal '
                             '(0: all at the demo station, one journal)')
    args = parser.parse_args()
    if not ha_test.healthy(True):
        sys.exit('the HA cluster is not up and healthy: run `make ha` (bash bench/run.sh ha does)')
    conf = (ha_test.HA / 'odoo.conf').read_text()
    workers = next((line.split('=')[1].strip() for line in conf.splitlines() if line.startswith('workers')), '?')
    print(f'Odoo on the HA cluster: {workers} workers, database {ha_test.DB}, clients through the HTTP front '
          f'{ha_test.ODOO_URL}; {args.clients} accounts at {args.stations or "the demo"} station(s)', flush=True)
    setup = ha_test.setup_accounts(args.clients, args.stations)
    reporter = json.loads(ha_test.odoo_shell(REPORTER_CODE, 'HA_REPORTER'))
    bridges = Bridges(args.bridges, ha_test.HA / 'run' / 'bench-bridges')
    bridges.start()
    print(f'{args.bridges} card bridges long-polling meanwhile', flush=True)
    try:
        warm = Vending(setup, min(args.clients, 8))
        warm.run(5)   # every worker loads the registry before the clock runs
        alone = phase('vending alone', setup, args)
        with_reports = phase(f'vending with {args.report_clients} accountants running reports on the replica',
                             setup, args, reporter)
    finally:
        bridges.stop()
    print('\nvending latency with reports / alone: '
          f'p50 x{with_reports["p50_ms"] / alone["p50_ms"]:.2f}, p99 x{with_reports["p99_ms"] / alone["p99_ms"]:.2f}; '
          f'throughput x{with_reports["vends_per_second"] / alone["vends_per_second"]:.2f}', flush=True)
    return 1 if alone['errors'] or with_reports['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
