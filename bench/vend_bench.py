"""Quote + vend timing against history size.

Usage (from the repository root): bash bench/run.sh
It builds the database `prepaid_bench`, measures quote + vend on an empty history, generates
100,000 accounts and 2,000,000 vends with SQL, measures again and prints the median and p99
server-side time of quote + vend, their ratio (goal <= 1.10) and the query count per vend.
"""
import statistics
import sys
import time
from decimal import Decimal

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

ACCOUNTS = 100_000
VENDS = 2_000_000
SAMPLES = 300


def measure(env, label):
    """Quote and vend SAMPLES times on accounts of the generated population (rolled back)."""
    accounts = env['prepaid.account'].search([('station_id.code', '=', '990000')], limit=SAMPLES, order='id desc')
    timings, queries = [], []
    for account in accounts:
        env.invalidate_all()
        start_q = sql_db.sql_counter
        start = time.perf_counter()
        account._quote('energy', Decimal('10'))
        account._vend('energy', Decimal('10'))
        env.flush_all()
        timings.append(time.perf_counter() - start)
        queries.append(sql_db.sql_counter - start_q)
    env.cr.rollback()
    timings.sort()
    median = statistics.median(timings) * 1000
    p99 = timings[int(len(timings) * 0.99) - 1] * 1000
    vend_count = env['prepaid.vend'].search_count([])
    print(f"{label:<28} vends in table {vend_count:>9,}  median {median:6.2f} ms  p99 {p99:6.2f} ms  "
          f"queries/vend {statistics.median(queries):.0f}")
    return median, p99


def generate_population(cr, with_vends):
    """Accounts (with meters and partners) and, optionally, their vend history, all in SQL."""
    cr.execute(SQL("""
        INSERT INTO prepaid_station (name, code, preset_energy, payment_precision, energy_step, key_version,
                                     company_id, active)
        VALUES ('Bench', '990000', 20, '0.01', 1, 1, 1, true) ON CONFLICT DO NOTHING;
        INSERT INTO prepaid_tariff (name, kind, price, period, company_id, active)
        SELECT 'Bench 2.0', 'flat', 2.0, 'year', 1, true
        WHERE NOT EXISTS (SELECT 1 FROM prepaid_tariff WHERE name = 'Bench 2.0');
        INSERT INTO prepaid_meter_type (name, credit_unit, phase, constant, active)
        SELECT 'Bench type', 'energy', 'single', 1600, true
        WHERE NOT EXISTS (SELECT 1 FROM prepaid_meter_type WHERE name = 'Bench type');
    """))
    cr.execute(SQL("SELECT id FROM prepaid_station WHERE code = '990000'"))
    station = cr.fetchone()[0]
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
            INSERT INTO prepaid_meter (number, meter_type_id, ct_ratio, pt_ratio, multiplier, side, constant,
                                       start_reading, alarm_energy, pretrip_energy, hoarding_energy, state, company_id)
            SELECT '99' || lpad(n::text, 10, '0'), %(type)s, 1, 1, 1, 'none', 1600, 0, 20, 10, 9999, 'installed', 1
            FROM bench_ids;
            INSERT INTO prepaid_account (number, partner_id, meter_id, tariff_id, station_id, company_id, state,
                                         open_date, money_balance, purchase_sequence, period_key, period_energy,
                                         is_credit_valid, remaining_energy, over_zero_energy)
            SELECT '9900' || lpad(b.n::text, 8, '0'), p.id, m.id, %(tariff)s, %(station)s, 1, 'active',
                   now()::date, 0, 20, to_char(now(), 'YYYY'), 0, false, 50, 0
            FROM bench_ids b
            JOIN res_partner p ON p.name = 'Bench customer ' || b.n
            JOIN prepaid_meter m ON m.number = '99' || lpad(b.n::text, 10, '0');
            UPDATE prepaid_meter m SET account_id = a.id FROM prepaid_account a
             WHERE a.meter_id = m.id AND a.station_id = %(station)s;
        """, type=meter_type, tariff=tariff, station=station))
    if with_vends:
        cr.execute(SQL("SELECT count(*) FROM prepaid_vend"))
        if cr.fetchone()[0] < VENDS:
            per_account = VENDS // ACCOUNTS
            cr.execute(SQL("""
                INSERT INTO prepaid_vend (name, date, account_id, partner_id, meter_id, station_id, tariff_id, user_id,
                    company_id, sequence, kind, method, channel, is_first_vend, energy_bought, energy_written,
                    energy_net, preset_deducted, over_zero_deducted, price, price_written, amount_due, amount_paid,
                    change_amount, balance_before, balance_after, period_energy_before, state, rewrite_count,
                    is_recovered)
                SELECT 'BENCH/' || a.id || '/' || s, now() - (s || ' days')::interval, a.id, a.partner_id, a.meter_id,
                       a.station_id, a.tariff_id, 1, 1, s, 'sale', 'energy', 'backend', s = 1, 50, 50,
                       CASE WHEN s = 1 THEN 30 ELSE 50 END, CASE WHEN s = 1 THEN 20 ELSE 0 END, 0, 2, 2, 100, 100,
                       0, 0, 0, 0, 'written', 0, false
                FROM prepaid_account a, generate_series(1, %(per)s) s
                WHERE a.station_id = %(station)s
            """, per=per_account, station=station))
    cr.execute(SQL("ANALYZE"))
    cr.commit()


def main(db):
    config.parse_config(['-c', sys.argv[2] if len(sys.argv) > 2 else config.rcfile or '', '-d', db])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        t0 = time.perf_counter()
        generate_population(cr, with_vends=False)
        print(f"generated {ACCOUNTS:,} accounts in {time.perf_counter() - t0:.0f} s")
        empty = measure(env, "empty history")
        t0 = time.perf_counter()
        generate_population(cr, with_vends=True)
        print(f"generated {VENDS:,} vends in {time.perf_counter() - t0:.0f} s")
        full = measure(env, "full history")
        print(f"ratio full/empty: median {full[0] / empty[0]:.2f}, p99 {full[1] / empty[1]:.2f} (goal <= 1.10)")


if __name__ == '__main__':
    main(sys.argv[1])
