"""The failover proof of issue 16 (`make ha-test`): vend under load through Odoo's HTTP API, SIGKILL
the leader's PostgreSQL and Patroni together, then check that no acknowledged vend was lost and none
was made twice, that every account's sequence and balance equal its vends, and that the old leader
rejoins as a standby (pg_rewind).

A vend is *acknowledged* when the client got HTTP 200 with a vend id: only then is its client request
id appended (and fsynced) to the log. Clients retry an unanswered request with the same id; the server
is idempotent on it (prepaid.account._top_up / _vend with client_request_id).

`--async` is the negative control: synchronous_mode off and synchronous_commit local, to see whether
the check can catch a loss (it restores the synchronous configuration afterwards)."""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent
RT = Path(os.environ.get('PREPAID_RUNTIME', Path.home() / '.cache/prepaid_electricity'))
HA = RT / 'ha'
ODOO_URL = 'http://127.0.0.1:8078'  # the HTTP front (HAProxy) in front of the Odoo workers
DB = 'prepaid_ha'
NODES = {'n1': {'rest': 8011, 'port': 5441}, 'n2': {'rest': 8012, 'port': 5442}}
SETUP_CODE = r'''
import json, time
from datetime import timedelta
from odoo import fields
env = env(context=dict(env.context, tracking_disable=True))
ref = env.ref('prepaid_electricity.prepaid_account_room_101_demo')
company = ref.company_id
stamp = int(time.time() * 10) % 10**8
# N_STATIONS stations of their own, each with its cash journal (each journal numbers its entries one
# after the other: a station's sales wait for each other there), or the demo's station
stations = env['prepaid.station']
journals = env['account.journal'].search_count([])
for s in range(int(N_STATIONS)):
    journal = env['account.journal'].create({'name': f'HA cash {stamp} {s}', 'type': 'cash',
                                             'code': f'H{journals + s:04d}', 'company_id': company.id})
    stations |= stations.create({'name': f'HA station {stamp} {s}', 'code': f'{(stamp * 10 + s) % 10**6:06d}',
                                 'company_id': company.id, 'cash_journal_id': journal.id})
accounts = env['prepaid.account']
for i in range(int(N_ACCOUNTS)):
    partner = env['res.partner'].create({'name': f'HA test {stamp} {i}', 'company_id': company.id})
    station = stations[i % len(stations)] if stations else ref.station_id
    accounts |= accounts._open_account(
        {'number': f'9{stamp:08d}{i:03d}', 'meter_type_id': ref.meter_id.meter_type_id.id, 'company_id': company.id},
        {'partner_id': partner.id, 'tariff_id': ref.tariff_id.id, 'station_id': station.id,
         'company_id': company.id})
user = env['res.users'].search([('login', '=', 'ha_operator')])
if not user:
    user = env['res.users'].create({
        'name': 'HA test operator', 'login': 'ha_operator', 'company_id': company.id,
        'company_ids': [(6, 0, [company.id])],
        'group_ids': [(4, env.ref('prepaid_electricity.prepaid_electricity_group_operator').id)]})
key = env['res.users.apikeys'].with_user(user)._generate(
    None, f'ha_test {stamp}', fields.Datetime.now() + timedelta(days=1))
env.cr.commit()
print('HA_SETUP=' + json.dumps({'accounts': accounts.ids, 'key': key, 'uid': user.id}))
'''

# the vending reconciliation (vends = payments = journal postings) of the backend's days, where the
# test's top-ups are: every day's difference must be 0.00 (the tills' open sessions post at closing)
RECONCILE_CODE = r'''
rows = env['prepaid.reconciliation.report'].search_read([('source', '=', 'backend')], ['difference'])
total = env.company.currency_id.round(sum(abs(r['difference']) for r in rows))
currency = env.company.currency_id
print('HA_RECONCILE=' + currency.format(total) + ('' if currency.is_zero(total) else ' WRONG'))
'''


def log(msg):
    print(f'[ha-test {time.strftime("%H:%M:%S")}] {msg}', flush=True)


def secret(key):
    for line in (HA / 'secrets').read_text().splitlines():
        if line.startswith(key + '='):
            return line.split('=', 1)[1]
    raise KeyError(key)


def psql(sql, port=5440, db=DB):
    env = dict(os.environ, PGPASSWORD=secret('POSTGRES_PASSWORD'))
    out = subprocess.run(['psql', '-h', '127.0.0.1', '-p', str(port), '-U', 'postgres', '-Atq', '-F', '\t',
                          '-c', sql, db], env=env, check=True, capture_output=True, text=True, timeout=60)
    return [line.split('\t') for line in out.stdout.splitlines() if line]


def cluster():
    """Patroni's view of the cluster ({name: member}), from whichever REST API answers."""
    for node in NODES.values():
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{node["rest"]}/cluster', timeout=2) as resp:
                return {m['name']: m for m in json.load(resp)['members']}
        except (OSError, ValueError):
            continue
    return {}


def patronictl(*args):
    return subprocess.run(['patronictl', '-c', str(HA / 'n1.yml'), *args], capture_output=True, text=True,
                          timeout=60)


def wait(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    log(f'timed out waiting for {what}')
    return False


def healthy(sync):
    members = cluster()
    roles = sorted(m['role'] for m in members.values())
    standby_ok = any(m['role'] in ('sync_standby', 'replica') and m['state'] in ('running', 'streaming')
                     for m in members.values())
    want = ['leader', 'sync_standby'] if sync else ['leader', 'replica']
    return roles == want and standby_ok


def set_mode(sync):
    if sync:
        opts = ['-s', 'synchronous_mode=true', '-s', 'synchronous_mode_strict=true', '-p', "synchronous_commit='on'"]
    else:
        opts = ['-s', 'synchronous_mode=false', '-s', 'synchronous_mode_strict=false', '-p', 'synchronous_commit=local']
    res = patronictl('edit-config', '--force', *opts)
    if res.returncode:
        sys.exit(f'patronictl edit-config failed: {res.stderr}')
    if not wait('the replication mode', lambda: healthy(sync), 120):
        print(patronictl('list').stdout)
        sys.exit('the cluster did not reach the wanted replication mode')
    mode = 'synchronous (strict), synchronous_commit=on' if sync else 'asynchronous, synchronous_commit=local'
    log(f'replication: {mode}')


def odoo_shell(code, marker):
    """Run `code` in an Odoo shell on the cluster's database; the value it printed after `marker`=."""
    out = subprocess.run([sys.executable, str(RT / 'odoo/usr/bin/odoo'), 'shell', '-c', str(HA / 'odoo.conf'),
                          '-d', DB, '--no-http', '--workers', '0', '--log-level=warn'],
                         input=code, capture_output=True, text=True, timeout=300)
    for line in out.stdout.splitlines():
        if line.startswith(marker + '='):
            return line.split('=', 1)[1]
    sys.exit(f'odoo shell failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}')


def setup_accounts(n_accounts, n_stations=0):
    code = SETUP_CODE.replace('int(N_ACCOUNTS)', str(n_accounts)).replace('int(N_STATIONS)', str(n_stations))
    return json.loads(odoo_shell(code, 'HA_SETUP'))


def top_up_request(key, account_id, amount, crid):
    """One top-up through JSON-2 with a vending operator's API `key`: (HTTP status, answer)."""
    body = json.dumps({'ids': [account_id], 'amount': amount, 'client_request_id': crid}).encode()
    req = urllib.request.Request(
        f'{ODOO_URL}/json/2/prepaid.account/action_top_up_request', data=body, method='POST',
        headers={'Content-Type': 'application/json', 'Authorization': f'bearer {key}', 'X-Odoo-Database': DB})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, json.load(resp)


class Load:
    """N client threads topping up accounts through JSON-2, each request with its own id, retried
    with the same id until it is answered."""

    def __init__(self, setup, n_clients, ack_path):
        self.accounts = setup['accounts']
        self.key = setup['key']
        self.n_clients = n_clients
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.ack_file = open(ack_path, 'a')  # noqa: SIM115 (closed in run)
        self.acked = []
        self.failures = []   # monotonic times of failed attempts (no answer, 5xx)
        self.successes = []  # monotonic times of answered requests
        self.busy = 0
        self.retries = 0
        self.unanswered = []
        self.errors = {}

    def client(self, index):
        rnd = random.Random(index)
        own = self.accounts[index % len(self.accounts)]
        shared = self.accounts[self.n_clients:] or self.accounts
        while not self.stop.is_set():
            account_id = own if rnd.random() < 0.5 else rnd.choice(shared)
            amount = f'{rnd.randint(100, 2000) / 100:.2f}'
            crid = str(uuid.uuid4())
            self.request(account_id, amount, crid)

    def request(self, account_id, amount, crid):
        give_up = None
        while True:
            try:
                status, result = top_up_request(self.key, account_id, amount, crid)
            except urllib.error.HTTPError as err:
                text = err.read().decode(errors='replace')
                if 'being served at another station' in text:   # a shared account's lock: the same id again
                    with self.lock:
                        self.busy += 1
                    time.sleep(0.05)
                    continue
                status, result = err.code, text
            except (OSError, ValueError) as err:
                status, result = None, repr(err)
            if status == 200 and isinstance(result, dict) and result.get('vend_id'):
                now = time.monotonic()
                with self.lock:
                    self.ack_file.write(f'{crid}\t{account_id}\t{amount}\t{result["vend_id"]}\n')
                    self.ack_file.flush()
                    os.fsync(self.ack_file.fileno())
                    self.acked.append((crid, account_id, Decimal(amount), result['vend_id']))
                    self.successes.append(now)
                return
            now = time.monotonic()
            with self.lock:
                self.failures.append(now)
                self.retries += 1
                kind = f'{status}: {str(result)[:120]}'
                self.errors[kind] = self.errors.get(kind, 0) + 1
            give_up = give_up or now + 180
            if now > give_up:
                with self.lock:
                    self.unanswered.append(crid)
                return
            time.sleep(0.25)

    def run(self):
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.n_clients)]
        for thread in self.threads:
            thread.start()

    def join(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(240)
        self.ack_file.close()


def kill_leader():
    members = cluster()
    leader = next(name for name, m in members.items() if m['role'] == 'leader')
    pm = int((HA / leader / 'postmaster.pid').read_text().splitlines()[0])
    children = subprocess.run(['pgrep', '-P', str(pm)], capture_output=True, text=True).stdout.split()
    patroni = int((HA / 'run' / f'{leader}.pid').read_text())
    pids = [patroni, pm, *map(int, children)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    log(f'SIGKILL to the leader {leader}: Patroni {patroni}, postmaster {pm} and {len(children)} children')
    return leader


def stall_wal_sender():
    """The lag of the negative control: SIGSTOP the leader's WAL sender, so that what it commits from
    now on is on its disk only until the kill (on one machine an asynchronous standby is otherwise only
    milliseconds behind). Asynchronous, the leader acknowledges those commits: they are lost with it
    (its rejoin by pg_rewind throws them away). Synchronous, it acknowledges none of them: they wait
    for the standby, the clients retry them after the failover. Returns the WAL sender's pid."""
    leader = next(name for name, m in cluster().items() if m['role'] == 'leader')
    pm = (HA / leader / 'postmaster.pid').read_text().splitlines()[0]
    pid = next(int(p) for p in subprocess.run(['pgrep', '-P', pm], capture_output=True, text=True).stdout.split()
               if 'walsender' in Path(f'/proc/{p}/cmdline').read_text(errors='replace'))
    os.kill(pid, signal.SIGSTOP)
    return pid


def start_node(name):
    """Node `name`'s Patroni, as `make ha` starts it (scripts/ha/patroni_node.sh), in a session of
    its own (it outlives this test)."""
    subprocess.run(['bash', '-c', f'source "{ADDON}/scripts/ha/patroni_node.sh" && start_patroni {name}'],
                   env=dict(os.environ, HA=str(HA)), check=True, start_new_session=True, timeout=30)


def check(setup, load, accounts_sql):
    acked = {a[0]: a for a in load.acked}
    rows = psql(f"select client_request_id, count(*), min(id) from prepaid_vend where account_id in ({accounts_sql}) "
                "group by client_request_id")
    in_db = {r[0]: int(r[1]) for r in rows}
    vend_ids = {r[0]: int(r[2]) for r in rows}
    lost = [crid for crid in acked if crid not in in_db]
    duplicated = [crid for crid, n in in_db.items() if n > 1]
    wrong_vend = [crid for crid, a in acked.items() if crid in vend_ids and vend_ids[crid] != a[3]]
    mismatched = psql(f"""
        select a.id, a.purchase_sequence, a.money_balance, count(v.id), coalesce(max(v.sequence), 0),
               coalesce(sum(v.amount_due), 0), count(distinct v.sequence)
          from prepaid_account a left join prepaid_vend v on v.account_id = a.id
         where a.id in ({accounts_sql})
         group by a.id
        having a.purchase_sequence != count(v.id) or a.purchase_sequence != coalesce(max(v.sequence), 0)
            or count(distinct v.sequence) != count(v.id)
            or a.money_balance != coalesce(sum(v.amount_due), 0)""")
    made = sum(in_db.values())
    reconciliation = odoo_shell(RECONCILE_CODE, 'HA_RECONCILE')
    return made, lost, duplicated, wrong_vend, mismatched, reconciliation


def one_run(args, sync, run_no):
    log(f'run {run_no}: {"synchronous" if sync else "ASYNCHRONOUS (negative control)"}')
    set_mode(sync)
    setup = setup_accounts(args.accounts)
    accounts_sql = ','.join(map(str, setup['accounts']))
    ack_path = HA / 'run' / f'ha_test_acked_{int(time.time())}.log'
    load = Load(setup, args.clients, ack_path)
    load.run()
    wait('the first vend', lambda: load.successes, 120)   # the workers load the registry first
    time.sleep(args.load_before)
    acked_while_lagging = 0
    if args.lag:
        stall_wal_sender()
        lag_start = len(load.acked)
        time.sleep(args.lag)
        acked_while_lagging = len(load.acked) - lag_start
        log(f'the leader\'s WAL sender was stopped {args.lag} s before the kill: '
            f'{acked_while_lagging} vend(s) acknowledged meanwhile')
    before = len(load.acked)
    t_kill = time.monotonic()
    old_leader = kill_leader()   # the stopped WAL sender dies with it
    # Patroni promotes the synchronous standby once the leader key expires (ttl 20 s). With two nodes
    # and synchronous_mode_strict the new primary then accepts no commit until a synchronous standby
    # is back (that is the guarantee: no commit on one disk only): the old leader's machine comes back
    # at once (Patroni restarted), it rejoins as a standby (pg_rewind), and commits resume. With three
    # nodes in production the other standby takes over that role and there is no such wait.
    wait('a new leader', lambda: any(m['role'] == 'leader' and n != old_leader for n, m in cluster().items()), 120)
    t_promoted = time.monotonic()
    log(f'new leader after {t_promoted - t_kill:.1f} s: restarting Patroni {old_leader} (it must rejoin as a standby)')
    start_node(old_leader)
    # keep vending until the clients have been served again for a while
    wait('the clients to be served again', lambda: any(t > t_kill for t in load.successes) and
         time.monotonic() - min(t for t in load.successes if t > t_kill) > args.load_after, 180)
    load.join()
    members = cluster()
    new_leader = next((n for n, m in members.items() if m['role'] == 'leader'), None)
    fails = [t for t in load.failures if t >= t_kill]
    first_fail = min(fails) if fails else None
    first_ok = min((t for t in load.successes if first_fail and t > first_fail), default=None)
    outage = (first_ok - first_fail) if first_fail and first_ok else 0.0
    made, lost, duplicated, wrong_vend, mismatched, reconciliation = check(setup, load, accounts_sql)
    print(patronictl('list').stdout, flush=True)
    figures = {
        'mode': 'sync' if sync else 'async',
        'clients': args.clients, 'accounts': len(setup['accounts']),
        'acknowledged': len(load.acked), 'acknowledged_before_kill': before,
        'acknowledged_while_standby_lagged': acked_while_lagging,
        'vends_made': made, 'lost': len(lost), 'duplicated': len(duplicated),
        'acked_with_other_vend_id': len(wrong_vend), 'accounts_mismatched': len(mismatched),
        'reconciliation_difference': reconciliation,
        'retried_attempts': load.retries, 'busy_retries': load.busy, 'unanswered': len(load.unanswered),
        'old_leader': old_leader, 'new_leader': new_leader,
        'seconds_kill_to_promotion': round(t_promoted - t_kill, 1),
        'seconds_without_service_client_view': round(outage, 2),
        'ack_log': str(ack_path),
    }
    for key, value in figures.items():
        print(f'  {key:38} {value}', flush=True)
    if load.errors:
        print('  failed attempts by answer:', flush=True)
        for kind, n in sorted(load.errors.items(), key=lambda kv: -kv[1])[:6]:
            print(f'    {n:5}  {kind}', flush=True)
    if lost:
        print(f'  LOST: {lost[:10]}', flush=True)
    if mismatched:
        print(f'  MISMATCHED ACCOUNTS: {mismatched[:5]}', flush=True)
    # the old leader rejoins (pg_rewind), as a standby
    t_rejoin = t_promoted
    ok_rejoin = wait('the old leader to rejoin', lambda: (cluster().get(old_leader) or {}).get('role') in (
        'sync_standby' if sync else 'replica', 'sync_standby') and healthy(sync), 240)
    figures['rejoined'] = ok_rejoin
    figures['rejoin_seconds_after_promotion'] = round(time.monotonic() - t_rejoin, 1)
    print(patronictl('list').stdout, flush=True)
    rewound = 'rewind' in (HA / 'log' / old_leader / 'patroni.out').read_text()[-200000:] or any(
        'rewind' in p.read_text(errors='replace')[-200000:] for p in (HA / 'log' / old_leader).glob('patroni.log*'))
    log(f'rejoined: {ok_rejoin}, {figures["rejoin_seconds_after_promotion"]} s after the promotion '
        f'(pg_rewind mentioned in its log: {rewound})')
    figures['ok'] = (not lost and not duplicated and not wrong_vend and not mismatched and ok_rejoin
                     and not reconciliation.endswith('WRONG')
                     and new_leader not in (None, old_leader))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--async', dest='async_mode', action='store_true',
                        help='negative control: asynchronous replication, synchronous_commit local')
    parser.add_argument('--lag', type=float, default=0, metavar='SECONDS',
                        help='stop the leader\'s WAL sender SECONDS before the kill (a standby that lags)')
    parser.add_argument('--expect-loss', action='store_true',
                        help='with --async: fail unless a loss showed (the check can see one)')
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--accounts', type=int, default=20)
    parser.add_argument('--load-before', type=float, default=5, help='seconds of load before the kill')
    parser.add_argument('--load-after', type=float, default=5, help='seconds of load once served again')
    args = parser.parse_args()
    if not healthy(True) and not healthy(False):
        sys.exit('the HA cluster is not up and healthy: run `make ha` (make ha-test does)')
    results = []
    try:
        for run_no in range(1, args.runs + 1):
            results.append(one_run(args, not args.async_mode, run_no))
            if not results[-1]['rejoined']:
                break
    finally:
        if args.async_mode:
            set_mode(True)
    total_lost = sum(r['lost'] for r in results)
    log(f'{len(results)} run(s): vends made {sum(r["vends_made"] for r in results)}, acknowledged '
        f'{sum(r["acknowledged"] for r in results)}, lost {total_lost}, duplicated '
        f'{sum(r["duplicated"] for r in results)}, seconds without service (clients) '
        f'{[r["seconds_without_service_client_view"] for r in results]}')
    if args.async_mode:
        log(f'negative control: {"a loss SHOWED" if total_lost else "no loss showed"} in {len(results)} run(s)')
        healed = all(r['rejoined'] for r in results)
        return 0 if healed and (total_lost or not args.expect_loss) else 1
    return 0 if all(r['ok'] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
