"""Billing one day of remote meters through the Odoo layer, and its cost against history.

Usage (from the repository root): bash bench/run.sh remote
Two databases with the same 100,000 remote meters (1,000 concentrators of 100 meters, a tenant
account each, a time-of-use tariff) made with SQL: `prepaid_bench_remote_empty` without history,
`prepaid_bench_remote` with 10,000,000 daily readings and 10,000,000 bills before them (100 days).

1. The day: the head-end's reports of one day's frozen readings for all 100,000 meters, as the
   server receives them (`prepaid.card.bridge._head_end_report` on the Report JSON, 1,000
   readings a report, each report a transaction of its own, committed): readings stored, bills,
   balances, the strategy (1 % of the tenants cross an alarm threshold, 1 % the overdraft
   limit); then the day's consumption entry (the cron each billing triggers). Goal: under 60 s.
   Run on the empty database, then undone.
2. History: a report of 1,000 readings on each database in turn (rolled back), BENCH_SAMPLES
   times (default 10): median ms per report and µs per reading + bill, and the ratio
   full/empty (goal about 1).
"""
import datetime as dt
import os
import statistics
import sys
import time

from odoo import SUPERUSER_ID, api, sql_db
from odoo.modules.registry import Registry
from odoo.service import db as db_service
from odoo.tools import SQL, config

METERS = 100_000
PER_CONCENTRATOR = 100
BATCH = 1_000
HISTORY_DAYS = 100
SAMPLES = int(os.environ.get('BENCH_SAMPLES', 10))
DAY = dt.date(2026, 12, 1)          # the day billed; the history lies before it
STATION = '980000'


def generate(cr):
    """The meters, tenants and accounts, in SQL, once; the head-end record."""
    cr.execute(SQL("SELECT count(*) FROM prepaid_meter WHERE number LIKE '98%%' AND delivery = 'remote'"))
    if cr.fetchone()[0]:
        return
    cr.execute(SQL("""
        INSERT INTO prepaid_station (name, code, preset_energy, payment_precision, energy_step, key_version,
                                     company_id, active)
        VALUES ('Remote bench', %(code)s, 20, '0.01', 1, 1, 1, true);
        INSERT INTO prepaid_tariff (name, kind, price, period, price_sharp, price_peak, price_flat, price_valley,
                                    company_id, active)
        VALUES ('Bench TOU', 'tou', 0.8, 'year', 1.2, 1.0, 0.8, 0.4, 1, true);
        INSERT INTO prepaid_meter_type (name, delivery, credit_unit, phase, constant, active)
        VALUES ('Bench remote', 'remote', 'money', 'single', 1600, true);
        INSERT INTO prepaid_card_bridge (name, service, company_id, state, meter_tz)
        VALUES ('Bench head-end', 'head_end', 1, 'paired', 'Asia/Shanghai');
        INSERT INTO prepaid_concentrator (asset_number, name, protocol, company_id, active)
        SELECT lpad(c::text, 8, '0'), 'Bench ' || c, 'gdw1376', 1, true
          FROM generate_series(1, %(concentrators)s) c;
        CREATE TEMP TABLE bench_ids AS SELECT g AS n FROM generate_series(1, %(meters)s) g;
        INSERT INTO res_partner (name, complete_name, phone, active, type, autopost_bills)
        SELECT 'Remote tenant ' || n, 'Remote tenant ' || n, '137' || lpad(n::text, 8, '0'), true, 'contact', 'ask'
          FROM bench_ids;
        INSERT INTO prepaid_meter (number, meter_type_id, delivery, ct_ratio, pt_ratio, multiplier, side, constant,
                                   start_reading, start_reading_passed, alarm_energy, pretrip_energy, hoarding_energy,
                                   state, company_id, concentrator_id, rs485_port, baud, parity, auto_trip,
                                   relay_state, billed_day, billed_at, billed_total, billed_sharp, billed_peak,
                                   billed_flat, billed_valley)
        SELECT '98' || lpad(n::text, 10, '0'), (SELECT id FROM prepaid_meter_type WHERE name = 'Bench remote'),
               'remote', 1, 1, 1, 'none', 1600, 0, true, 20, 10, 9999, 'installed', 1,
               (SELECT id FROM prepaid_concentrator WHERE asset_number = lpad(((n - 1) / %(per)s + 1)::text, 8, '0')),
               2, '2400', 'even', true, 'closed', %(base_day)s, %(base_at)s, 1000, 100, 400, 300, 200
          FROM bench_ids;
        INSERT INTO prepaid_account (number, partner_id, meter_id, delivery, settlement_method, tariff_id, station_id,
                                     company_id, state, open_date, money_balance, purchase_sequence, period_key,
                                     period_energy, is_credit_valid, remaining_energy, over_zero_energy,
                                     alarm_threshold_1, alarm_threshold_2, overdraft_limit, alarm_level_notified)
        SELECT '9800' || lpad(b.n::text, 8, '0'), p.id, m.id, 'remote', 'cash',
               (SELECT id FROM prepaid_tariff WHERE name = 'Bench TOU'),
               (SELECT id FROM prepaid_station WHERE code = %(code)s), 1, 'active', now()::date,
               CASE b.n %% 100 WHEN 0 THEN 25 WHEN 1 THEN 3 ELSE 500 END, 1, '2026', 0, false, 0, 0, 20, 10, 0, 0
          FROM bench_ids b
          JOIN res_partner p ON p.name = 'Remote tenant ' || b.n
          JOIN prepaid_meter m ON m.number = '98' || lpad(b.n::text, 10, '0');
        UPDATE prepaid_meter m SET account_id = a.id FROM prepaid_account a
         WHERE a.meter_id = m.id AND m.number LIKE '98%%';
        ANALYZE;
    """, code=STATION, concentrators=METERS // PER_CONCENTRATOR, meters=METERS, per=PER_CONCENTRATOR,
        base_day=DAY - dt.timedelta(days=1), base_at=dt.datetime.combine(DAY, dt.time()) - dt.timedelta(hours=8)))
    cr.commit()


def generate_history(cr):
    """HISTORY_DAYS days of readings and bills of every meter before the base day, in SQL."""
    cr.execute(SQL("SELECT count(*) FROM prepaid_meter_reading"))
    if cr.fetchone()[0] >= METERS * HISTORY_DAYS:
        return False
    cr.execute(SQL("""
        INSERT INTO prepaid_meter_reading (meter_id, account_id, company_id, day, freeze_time, read_time,
                                           total, sharp, peak, flat, valley)
        SELECT m.id, m.account_id, 1, %(base_day)s - d, %(base_at)s - d * interval '1 day',
               %(base_at)s - d * interval '1 day' + interval '5 minutes', 1000 - d * 10, 100 - d, 400 - d * 4,
               300 - d * 3, 200 - d * 2
          FROM prepaid_meter m, generate_series(1, %(days)s) d
         WHERE m.number LIKE '98%%'
         ORDER BY d DESC, m.id;
        INSERT INTO prepaid_meter_bill (kind, day, meter_id, account_id, company_id, tariff_id, reading_id, from_at,
                                        to_at, from_total, to_total, energy, energy_sharp, energy_peak, energy_flat,
                                        energy_valley, price_sharp, price_peak, price_flat, price_valley, price,
                                        amount, balance_before, balance_after)
        SELECT 'daily', r.day, r.meter_id, r.account_id, 1, t.id, r.id, r.freeze_time - interval '1 day',
               r.freeze_time, r.total - 10, r.total, 10, 1, 4, 3, 2, 1.2, 1.0, 0.8, 0.4, 0, 8.0, 508, 500
          FROM prepaid_meter_reading r, prepaid_tariff t
         WHERE t.name = 'Bench TOU'
         ORDER BY r.id;
    """, base_day=DAY - dt.timedelta(days=1), base_at=dt.datetime.combine(DAY, dt.time()) - dt.timedelta(hours=8),
        days=HISTORY_DAYS))
    cr.commit()
    return True


def vacuum(db):
    """As autovacuum would have long done; the tables the module gives a fillfactor are
    rewritten with it, as a database that made its rows one by one has them."""
    with sql_db.db_connect(db).cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL("VACUUM FULL prepaid_meter"))
        cr.execute(SQL("VACUUM FULL prepaid_account"))
        cr.execute(SQL("VACUUM ANALYZE"))


def report_of(meter_numbers):
    """The head-end's report of DAY's freezes of these meters (about 10 kWh each)."""
    freeze_time = dt.datetime.combine(DAY, dt.time(16, 0), dt.UTC)
    return {'daily': [{
        'meter': number, 'day': DAY.isoformat(), 'freeze_time': freeze_time.isoformat(),
        'read_time': (freeze_time + dt.timedelta(minutes=3)).isoformat(),
        'total': '1010.20', 'sharp': '101.10', 'peak': '404.05', 'flat': '303.03', 'valley': '202.02',
    } for number in meter_numbers]}


def meter_numbers(cr):
    cr.execute(SQL("SELECT number FROM prepaid_meter WHERE number LIKE '98%%' AND delivery = 'remote' ORDER BY id"))
    return [number for (number,) in cr.fetchall()]


def take_report(registry, numbers, commit):
    """Seconds to take one report of `numbers`' readings, as the route does."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        bridge = env['prepaid.card.bridge'].search([('name', '=', 'Bench head-end')], limit=1)
        bridge = bridge.with_company(bridge.company_id)
        start = time.perf_counter()
        bridge._head_end_report(report_of(numbers))
        env.flush_all()
        if commit:
            cr.commit()
        elapsed = time.perf_counter() - start
        if not commit:
            cr.rollback()
    return elapsed


def undo_day(db):
    """Back to before DAY: its readings, bills, entries, strategy and commands removed, the
    meters' base and the balances as generated."""
    with Registry(db).cursor() as cr:
        cr.execute(SQL("""
            -- the bench's undo only: no foreign key is checked row by row (nothing is ever deleted
            -- in production, and a reading's bill is found through the reading)
            SET LOCAL session_replication_role = replica;
            DELETE FROM prepaid_strategy_log;
            DELETE FROM prepaid_meter_command;
            DELETE FROM sms_sms;
            DELETE FROM mail_mail;
            CREATE TEMP TABLE day_moves AS SELECT DISTINCT move_id FROM prepaid_meter_bill WHERE day = %(day)s;
            DELETE FROM prepaid_meter_reading WHERE day = %(day)s;
            DELETE FROM prepaid_meter_bill WHERE day = %(day)s;
            DELETE FROM account_move_line WHERE move_id IN (SELECT move_id FROM day_moves);
            DELETE FROM account_move WHERE id IN (SELECT move_id FROM day_moves);
            UPDATE prepaid_meter SET billed_day = %(base_day)s, billed_at = %(base_at)s, billed_total = 1000,
                   billed_sharp = 100, billed_peak = 400, billed_flat = 300, billed_valley = 200,
                   relay_state = 'closed', tripped_by_strategy = false, daily_asked_at = NULL, is_online = true
             WHERE number LIKE '98%%';
            UPDATE prepaid_account a SET money_balance = CASE substr(a.number, 5)::int %% 100 WHEN 0 THEN 25
                   WHEN 1 THEN 3 ELSE 500 END, alarm_level_notified = 0, period_energy = 0
             WHERE a.number LIKE '9800%%';
        """, day=DAY, base_day=DAY - dt.timedelta(days=1),
            base_at=dt.datetime.combine(DAY, dt.time()) - dt.timedelta(hours=8)))
        cr.commit()
    # the undo's writes reach the disk now, not in a checkpoint in the middle of the measurement
    with sql_db.db_connect(db).cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL("VACUUM ANALYZE prepaid_meter, prepaid_account, prepaid_meter_reading, prepaid_meter_bill"))
        cr.execute(SQL("CHECKPOINT"))


def main(full_db, conf):
    config.parse_config(['-c', conf])
    empty_db = f'{full_db}_empty'
    with Registry(full_db).cursor() as cr:
        t0 = time.perf_counter()
        generate(cr)
        cr.execute(SQL("SELECT count(*) FROM prepaid_meter_reading"))
        has_history = cr.fetchone()[0] > 0
        print(f"remote meters: {METERS:,} ({time.perf_counter() - t0:.0f} s)")
    if not db_service.exp_db_exist(empty_db):
        if has_history:
            sys.exit(f"{full_db} already has readings: drop it to build {empty_db}")
        Registry.delete(full_db)
        db_service.exp_duplicate_database(full_db, empty_db)
        vacuum(empty_db)
    with Registry(full_db).cursor() as cr:
        t0 = time.perf_counter()
        if generate_history(cr):
            print(f"history: {METERS * HISTORY_DAYS:,} readings and bills ({time.perf_counter() - t0:.0f} s)")
            vacuum(full_db)

    # 1. the whole day, committed report by report
    undo_day(empty_db)
    registry = Registry(empty_db)
    with registry.cursor() as cr:
        numbers = meter_numbers(cr)
    take_report(registry, numbers[:BATCH], commit=False)    # warm-up
    t0 = time.perf_counter()
    for start in range(0, len(numbers), BATCH):
        take_report(registry, numbers[start:start + BATCH], commit=True)
    report_seconds = time.perf_counter() - t0
    with registry.cursor() as cr:       # what the cron each billing triggers does: the day's entry
        api.Environment(cr, SUPERUSER_ID, {})['prepaid.meter.bill']._post_consumption()
    day_seconds = time.perf_counter() - t0
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT count(*), sum(amount) FROM prepaid_meter_bill WHERE day = %s", DAY))
        bills, billed = cr.fetchone()
        cr.execute(SQL("SELECT decision, count(*) FROM prepaid_strategy_log GROUP BY decision ORDER BY decision"))
        decisions = dict(cr.fetchall())
    print(f"one day of {len(numbers):,} meters: {day_seconds:.1f} s (goal 60 s; reports {report_seconds:.1f} s, "
          f"the consumption entry {day_seconds - report_seconds:.1f} s), "
          f"{day_seconds / len(numbers) * 1e6:.0f} µs per reading + bill; {bills:,} bills, {billed:,.2f} billed; "
          f"strategy: {decisions}")
    undo_day(empty_db)

    # 2. against history: the same report on both databases, in turn, rolled back
    registries = {'empty': registry, 'full': Registry(full_db)}
    undo_day(full_db)
    sample_numbers = numbers[BATCH * 37:BATCH * 38]
    timings = {'empty': [], 'full': []}
    for reg in registries.values():
        take_report(reg, sample_numbers, commit=False)       # warm-up
    for _ in range(SAMPLES):
        for side, reg in registries.items():
            timings[side].append(take_report(reg, sample_numbers, commit=False))
    medians = {side: statistics.median(values) for side, values in timings.items()}
    for side in ('empty', 'full'):
        history = 0 if side == 'empty' else METERS * HISTORY_DAYS
        print(f"  {side:5} ({history:>10,} readings, as many bills): {medians[side] * 1000:7.0f} ms per report of "
              f"{BATCH:,}, {medians[side] / BATCH * 1e6:5.0f} µs per reading + bill")
    print(f"  ratio full/empty: {medians['full'] / medians['empty']:.2f}")


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
