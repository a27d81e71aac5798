"""Quote + vend timing against history size.

Usage (from the repository root): bash bench/run.sh vend   (or bash bench/run.sh for every bench)
Two databases with the same 100,000 generated accounts: `prepaid_bench_empty` without vend
history, `prepaid_bench` with 2,000,000 vends of them (made with SQL, then vacuumed as
autovacuum would have long done on a real station's history). Quote + vend is measured on
both, sample by sample in turn (empty, full, empty, ...: load from elsewhere on the machine
hits both alike), after a warm-up, each sample a transaction of its own that is rolled back.
It prints the median, p90, p99 and max server-side time of quote + vend, the full/empty
ratios (goal p99 <= 1.10) and the query count per vend.

BENCH_SAMPLES (default 3000 per database) and BENCH_WARMUP (default 200) set the counts.
BENCH_QUERIES=1 also prints each query of a vend (by its place in the vend) with its median and
p99 on both sides: what grows with history shows there. BENCH_VACUUM=0 builds the history with
a plain ANALYZE instead, as this bench did before (autovacuum then goes through the 2,000,000
new rows as the measurement starts).
"""
import os
import random
import statistics
import sys
import time
from decimal import Decimal

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import Registry
from odoo.service import db as db_service
from odoo.tools import SQL, config

ACCOUNTS = 100_000
VENDS = 2_000_000
SAMPLES = int(os.environ.get('BENCH_SAMPLES', 3000))
WARMUP = int(os.environ.get('BENCH_WARMUP', 200))
STATION = '990000'
VACUUM = os.environ.get('BENCH_VACUUM', '1') != '0'
QUERIES = os.environ.get('BENCH_QUERIES') == '1'
_query_log = None   # with BENCH_QUERIES=1, the (query, seconds) of the running sample


def _timed_execute(execute):
    def timed(self, query, params=None, log_exceptions=True):
        start = time.perf_counter()
        try:
            return execute(self, query, params, log_exceptions)
        finally:
            if _query_log is not None:
                text = query.code if isinstance(query, SQL) else str(query)
                _query_log.append((' '.join(text.split())[:80], time.perf_counter() - start))
    return timed


def generate_population(cr, with_vends=False):
    """Accounts (with meters and partners) and, optionally, their vend history, all in SQL,
    once (bench/report_bench.py makes its accounts with this too)."""
    cr.execute(SQL("""
        INSERT INTO prepaid_station (name, code, preset_energy, payment_precision, energy_step, key_version,
                                     company_id, active)
        VALUES ('Bench', %(code)s, 20, '0.01', 1, 1, 1, true) ON CONFLICT DO NOTHING;
        INSERT INTO prepaid_tariff (name, kind, price, period, company_id, active)
        SELECT 'Bench 2.0', 'flat', 2.0, 'year', 1, true
        WHERE NOT EXISTS (SELECT 1 FROM prepaid_tariff WHERE name = 'Bench 2.0');
        INSERT INTO prepaid_meter_type (name, delivery, credit_unit, phase, constant, active)
        SELECT 'Bench type', 'card', 'energy', 'single', 1600, true
        WHERE NOT EXISTS (SELECT 1 FROM prepaid_meter_type WHERE name = 'Bench type');
    """, code=STATION))
    station = _station(cr)
    cr.execute(SQL("SELECT id FROM prepaid_tariff WHERE name = 'Bench 2.0'"))
    tariff = cr.fetchone()[0]
    cr.execute(SQL("SELECT id FROM prepaid_meter_type WHERE name = 'Bench type'"))
    meter_type = cr.fetchone()[0]
    cr.execute(SQL("SELECT count(*) FROM prepaid_account WHERE station_id = %s", station))
    if cr.fetchone()[0] == 0:
        cr.execute(SQL("""
            CREATE TEMP TABLE bench_ids AS
            SELECT g AS n FROM generate_series(1, %(accounts)s) g;
            WITH p AS (
                INSERT INTO res_partner (name, complete_name, phone, active, type, autopost_bills)
                SELECT 'Bench customer ' || n, 'Bench customer ' || n, '139' || lpad(n::text, 8, '0'),
                       true, 'contact', 'ask'
                FROM bench_ids RETURNING id
            ) SELECT count(*) FROM p;
        """, accounts=ACCOUNTS))
        cr.execute(SQL("""
            INSERT INTO prepaid_meter (number, meter_type_id, delivery, ct_ratio, pt_ratio, multiplier, side, constant,
                                       start_reading, alarm_energy, pretrip_energy, hoarding_energy, state, company_id)
            SELECT '99' || lpad(n::text, 10, '0'), %(type)s, 'card', 1, 1, 1, 'none', 1600, 0, 20, 10, 9999,
                   'installed', 1
            FROM bench_ids;
            INSERT INTO prepaid_account (number, partner_id, meter_id, delivery, settlement_method, tariff_id,
                                         station_id, company_id, state,
                                         open_date, money_balance, purchase_sequence, period_key, period_energy,
                                         is_credit_valid, remaining_energy, over_zero_energy)
            SELECT '9900' || lpad(b.n::text, 8, '0'), p.id, m.id, 'card', 'cash', %(tariff)s, %(station)s, 1, 'active',
                   now()::date, 0, 20, to_char(now(), 'YYYY'), 0, false, 50, 0
            FROM bench_ids b
            JOIN res_partner p ON p.name = 'Bench customer ' || b.n
            JOIN prepaid_meter m ON m.number = '99' || lpad(b.n::text, 10, '0');
            UPDATE prepaid_meter m SET account_id = a.id FROM prepaid_account a
             WHERE a.meter_id = m.id AND a.station_id = %(station)s;
        """, type=meter_type, tariff=tariff, station=station))
    cr.execute(SQL("ANALYZE"))
    cr.commit()
    if with_vends:
        generate_vends(cr)


def generate_vends(cr):
    """The accounts' history: VENDS vends, 20 an account, in SQL, once."""
    cr.execute(SQL("SELECT count(*) FROM prepaid_vend"))
    if cr.fetchone()[0] >= VENDS:
        return False
    cr.execute(SQL("""
        INSERT INTO prepaid_vend (name, date, account_id, partner_id, meter_id, station_id, tariff_id, user_id,
            company_id, sequence, kind, method, channel, is_first_vend, energy_bought, energy_written,
            energy_net, preset_deducted, over_zero_deducted, price, price_written, amount_due, amount_paid,
            change_amount, balance_before, balance_after, period_energy_before, state, rewrite_count,
            is_recovered, sold_energy, sold_amount)
        SELECT 'BENCH/' || a.id || '/' || s, now() - (s || ' days')::interval, a.id, a.partner_id, a.meter_id,
               a.station_id, a.tariff_id, 1, 1, s, 'sale', 'energy', 'backend', s = 1, 50, 50,
               CASE WHEN s = 1 THEN 30 ELSE 50 END, CASE WHEN s = 1 THEN 20 ELSE 0 END, 0, 2, 2, 100, 100,
               0, 0, 0, 0, 'written', 0, false, 50, 100
        FROM prepaid_account a, generate_series(1, %(per)s) s
        WHERE a.station_id = %(station)s
        ORDER BY s, a.id
    """, per=VENDS // ACCOUNTS, station=_station(cr)))
    cr.commit()
    return True


def _station(cr):
    cr.execute(SQL("SELECT id FROM prepaid_station WHERE code = %s", STATION))
    return cr.fetchone()[0]


def vacuum(db):
    """(VACUUM) ANALYZE out of any transaction: set the visibility map and hint bits, merge the
    trigram index's pending list and refresh the statistics, as autovacuum long did on a live
    database's history, and not in the middle of the measurement."""
    with sql_db.db_connect(db).cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL("VACUUM ANALYZE" if VACUUM else "ANALYZE"))


def prepare(full_db):
    """Both databases, built once: the accounts, a copy of them, then the history."""
    empty_db = f'{full_db}_empty'
    with Registry(full_db).cursor() as cr:
        t0 = time.perf_counter()
        generate_population(cr)
        print(f"accounts: {ACCOUNTS:,} ({time.perf_counter() - t0:.0f} s)")
        cr.execute(SQL("SELECT count(*) FROM prepaid_vend"))
        has_vends = cr.fetchone()[0] > 0
    if not db_service.exp_db_exist(empty_db):
        if has_vends:
            sys.exit(f"{full_db} already has vends: drop it (or create {empty_db} from before they were made)")
        Registry.delete(full_db)
        db_service.exp_duplicate_database(full_db, empty_db)
        vacuum(empty_db)
    with Registry(full_db).cursor() as cr:
        t0 = time.perf_counter()
        if generate_vends(cr):
            print(f"vends: {VENDS:,} ({time.perf_counter() - t0:.0f} s)")
            vacuum(full_db)
    return empty_db


def sample(registry, account_id):
    """Seconds and queries of one quote + vend, in a transaction of its own, rolled back."""
    global _query_log  # noqa: PLW0603
    _query_log = [] if QUERIES else None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        account = env['prepaid.account'].browse(account_id)
        start_q = sql_db.sql_counter
        start = time.perf_counter()
        account._quote('energy', Decimal('10'))
        account._vend('energy', Decimal('10'))
        env.flush_all()
        elapsed = time.perf_counter() - start
        queries = sql_db.sql_counter - start_q
        log, _query_log = _query_log, None
        cr.rollback()
    return elapsed, log if QUERIES else queries


def stats(timings):
    """Milliseconds: median, p90 and p99 (nearest rank), max."""
    timings = sorted(timings)
    ranks = {'p90': 0.90, 'p99': 0.99}
    figures = {name: timings[min(len(timings) - 1, int(len(timings) * q))] * 1000 for name, q in ranks.items()}
    return {'median': statistics.median(timings) * 1000, **figures, 'max': timings[-1] * 1000}


def print_queries(runs):
    """Median and p99 of the Nth query of a vend, empty | full (ms)."""
    print("  empty: median   p99 | full: median   p99  query")
    logs = [run['queries'] for run in runs.values()]
    for rank, (text, _seconds) in enumerate(logs[1][0]):
        cells = []
        for side in logs:
            figures = stats([log[rank][1] for log in side if len(log) > rank])
            cells.append(f"{figures['median']:13.3f} {figures['p99']:5.2f}")
        print(f"{' |'.join(cells)}  {text}")


def main(full_db):
    if QUERIES:
        sql_db.Cursor.execute = _timed_execute(sql_db.Cursor.execute)
    config.parse_config(['-c', sys.argv[2] if len(sys.argv) > 2 else config.rcfile or '', '-d', full_db])
    empty_db = prepare(full_db)
    runs = {}
    for label, db in (('empty history', empty_db), ('full history', full_db)):
        registry = Registry(db)
        with registry.cursor() as cr:
            cr.execute(SQL("SELECT id FROM prepaid_account WHERE station_id = %s ORDER BY id", _station(cr)))
            ids = [r[0] for r in cr.fetchall()]
            cr.execute(SQL("SELECT count(*) FROM prepaid_vend"))
            vends = cr.fetchone()[0]
        # the same accounts in both, in one random order: no cache favours either side
        runs[label] = {'registry': registry, 'ids': ids, 'vends': vends, 'timings': [], 'queries': []}
    order = random.Random(13).sample(range(len(ids)), WARMUP + SAMPLES)
    for i, n in enumerate(order):
        for run in runs.values():
            elapsed, queries = sample(run['registry'], run['ids'][n])
            if i >= WARMUP:
                run['timings'].append(elapsed)
                run['queries'].append(queries)
    if QUERIES:
        print_queries(runs)
        for run in runs.values():
            run['queries'] = [len(log) for log in run['queries']]
    figures = {}
    for label, run in runs.items():
        figures[label] = s = stats(run['timings'])
        print(f"{label:<14} vends in table {run['vends']:>9,}  median {s['median']:6.2f} ms  p90 {s['p90']:6.2f} ms  "
              f"p99 {s['p99']:6.2f} ms  max {s['max']:7.2f} ms  queries/vend {statistics.median(run['queries']):.0f}"
              f"  ({len(run['timings'])} samples)")
    empty, full = figures['empty history'], figures['full history']
    print(f"ratio full/empty: median {full['median'] / empty['median']:.2f}, p90 {full['p90'] / empty['p90']:.2f}, "
          f"p99 {full['p99'] / empty['p99']:.2f} (goal <= 1.10)")


if __name__ == '__main__':
    main(sys.argv[1])
