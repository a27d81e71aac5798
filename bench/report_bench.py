"""Sales report timing against the number of vends the reports cover.

Usage (from the repository root): bash bench/run.sh reports
It uses its own database (`prepaid_bench_reports`): 100,000 accounts (the generator of
vend_bench.py), then vends spread over the last 24 months, 10 operators, cash and bank
payments and a refund per thousand vends, all in SQL. The last full month holds 5 % of the
vends, so it covers 100,000 of them at 2,000,000. It measures at 200,000 and again at
2,000,000 vends the server time of

- the monthly one-page summary per operator (last full month),
- the yearly summary (last calendar year) per area and per customer,
- the XLSX export of the monthly report (its details sheet lists every vend of the month),

and prints how each grows against the rows it covers (goal: no worse than linear).
"""
import os
import statistics
import subprocess
import sys
import time
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vend_bench import generate_population  # noqa: E402

STEPS = (200_000, 2_000_000)
OPERATORS = 10
LAST_MONTH_SHARE = 0.05
RUNS = 3


def operators(env):
    """The bench's operators (and the manager who reads the reports), made once."""
    Users = env['res.users'].with_context(no_reset_password=True)
    group = env.ref('prepaid_electricity.prepaid_electricity_group_operator')
    manager_group = env.ref('prepaid_electricity.prepaid_electricity_group_manager')
    users = Users.search([('login', '=like', 'bench_op_%')], order='login')
    if len(users) < OPERATORS:
        users |= Users.create([{'name': f'Bench operator {n}', 'login': f'bench_op_{n:02d}',
                                'group_ids': [(4, env.ref('base.group_user').id), (4, group.id)]}
                               for n in range(len(users), OPERATORS)])
    manager = Users.search([('login', '=', 'bench_manager')]) or Users.create({
        'name': 'Bench manager', 'login': 'bench_manager', 'tz': 'UTC',
        'group_ids': [(4, env.ref('base.group_user').id), (4, manager_group.id)]})
    return users, manager


def areas(env):
    """20 areas over the bench accounts (the yearly summary per area has rows to show)."""
    station = env['prepaid.station'].search([('code', '=', '990000')])
    Area = env['prepaid.area']
    found = Area.search([('station_id', '=', station.id)], order='id')
    if not found:
        found = Area.create([{'name': f'Bench area {n:02d}', 'station_id': station.id} for n in range(20)])
        env.cr.execute(SQL("UPDATE prepaid_account SET area_id = (%s::int[])[1 + id %% 20] WHERE station_id = %s",
                           found.ids, station.id))
    return found


def periods():
    """(start of the 24 months, start of the last full month, end) as dates."""
    end = date.today().replace(day=1)
    return end - relativedelta(months=24), end - relativedelta(months=1), end


def vacuum(db, full=False):
    # VACUUM cannot run in the ORM's transaction
    command = f"VACUUM {'FULL ' if full else ''}ANALYZE prepaid_vend, account_payment, prepaid_operation"
    subprocess.run(['psql', '-qd', db, '-c', command], check=True)


def reset_vends(cr):
    """Start from no bench vends, so that every run measures the same growth."""
    cr.execute(SQL("""
        DELETE FROM prepaid_operation WHERE name LIKE 'RBR/%%';
        DELETE FROM prepaid_vend WHERE name LIKE 'RB/%%';
        DELETE FROM account_payment WHERE memo LIKE 'Bench %%';
    """))
    cr.commit()
    vacuum(cr.dbname, full=True)


def grow_vends(cr, env, target, users):
    """Add vends (with their payments) until the table holds `target` bench vends."""
    cr.execute(SQL("SELECT count(*) FROM prepaid_vend WHERE name LIKE 'RB/%%'"))
    have = cr.fetchone()[0]
    if have >= target:
        return
    start, last_month, end = periods()
    cash = env['account.journal'].search([('type', '=', 'cash')], limit=1).id
    bank = env['account.journal'].search([('type', '=', 'bank')], limit=1).id
    # n decides everything (account, operator, journal, date) so that runs are reproducible.
    cr.execute(SQL("""
        CREATE TEMP TABLE bench_gen ON COMMIT DROP AS
        SELECT n, nextval('account_payment_id_seq') AS payment_id,
               (SELECT min(id) FROM prepaid_account a WHERE a.number LIKE '9900%%') + (n %% 100000)::int AS account_id,
               (%(users)s::int[])[(1 + (n * 7) %% %(nusers)s)::int] AS user_id,
               CASE WHEN n %% 3 = 0 THEN %(bank)s ELSE %(cash)s END AS journal_id,
               CASE WHEN (n * 7919) %% 1000 < %(last_share)s
                    THEN %(last)s::timestamp + ((n * 7907) %% 2592000) * interval '1 second' * (%(last_days)s / 30.0)
                    ELSE %(start)s::timestamp
                         + ((n * 104729) %% 1000003) / 1000003.0 * (%(last)s::timestamp - %(start)s::timestamp)
               END AS date
          FROM generate_series(%(first)s::bigint, %(target)s::bigint) n;
        INSERT INTO account_payment (id, journal_id, company_id, state, payment_type, partner_type, date, amount,
                                     currency_id, memo)
        SELECT payment_id, journal_id, 1, 'in_process', 'inbound', 'customer', date::date, 100,
               (SELECT currency_id FROM res_company WHERE id = 1), 'Bench ' || n
          FROM bench_gen ORDER BY date;
        INSERT INTO prepaid_vend (name, date, account_id, partner_id, meter_id, station_id, tariff_id, user_id,
            company_id, sequence, kind, method, channel, is_first_vend, energy_bought, energy_written,
            energy_net, preset_deducted, over_zero_deducted, price, price_written, amount_due, amount_paid,
            change_amount, balance_before, balance_after, period_energy_before, state, rewrite_count,
            is_recovered, payment_id, area_id)
        SELECT 'RB/' || g.n, g.date, a.id, a.partner_id, a.meter_id, a.station_id, a.tariff_id, g.user_id, 1,
               100 + g.n / 100000, 'sale', 'energy', 'backend', false, 50, 50, 50, 0, 0, 2, 2, 100, 100, 0, 0, 0, 0,
               'written', 0, false, g.payment_id, a.area_id
          FROM bench_gen g JOIN prepaid_account a ON a.id = g.account_id
         ORDER BY g.date;   -- in time order, as sales arrive
        -- one refund per thousand vends, paid back in cash
        INSERT INTO prepaid_operation (name, date, kind, account_id, company_id, user_id, refund_energy, refund_amount)
        SELECT 'RBR/' || n, date, 'refund', account_id, 1, user_id, 10, 20
          FROM bench_gen WHERE n %% 1000 = 0;
    """, users=users.ids, nusers=len(users), cash=cash, bank=bank, start=start, last=last_month,
        last_days=(end - last_month).days, last_share=int(LAST_MONTH_SHARE * 1000), first=have + 1, target=target))
    cr.commit()
    vacuum(cr.dbname)


def covered(env, wizard):
    """Vends and refunds a report covers (counted in SQL, not timed)."""
    return env['prepaid.sales.report']._read_group(wizard._get_domain(), [], ['__count'])[0][0]


def timed(env, function):
    timings = []
    for _run in range(RUNS):
        env.invalidate_all()
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def measure(env, manager):
    _start, last_month, _end = periods()
    Wizard = env['prepaid.sales.report.print'].with_user(manager).with_context(tz='UTC')
    cases = {
        'monthly per operator': Wizard.create({'report_kind': 'operator', 'year': last_month.year,
                                               'month': str(last_month.month)}),
        'yearly per area': Wizard.create({'report_kind': 'yearly', 'year': last_month.year - 1, 'grouping': 'area'}),
        'yearly per customer': Wizard.create({'report_kind': 'yearly', 'year': last_month.year - 1,
                                              'grouping': 'customer'}),
        'XLSX monthly report': Wizard.create({'report_kind': 'monthly', 'year': last_month.year,
                                              'month': str(last_month.month)}),
    }
    results = {}
    for label, wizard in cases.items():
        if label.startswith('XLSX'):
            seconds = timed(env, wizard._render_xlsx)
        else:
            seconds = timed(env, wizard._get_report_data)
        results[label] = (covered(env, wizard), seconds)
    env.cr.rollback()
    return results


def main(db):
    config.parse_config(['-c', sys.argv[2] if len(sys.argv) > 2 else config.rcfile or '', '-d', db])
    registry = Registry(db)
    goals = {'monthly per operator': 1.0, 'yearly per area': 2.0, 'yearly per customer': 2.0,
             'XLSX monthly report': 10.0}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        generate_population(cr, with_vends=False)
        users, manager = operators(env)
        areas(env)
        reset_vends(cr)
        cr.commit()
        measured = {}
        for step in STEPS:
            t0 = time.perf_counter()
            grow_vends(cr, env, step, users)
            print(f"bench vends: {step:,} (generated in {time.perf_counter() - t0:.0f} s)")
            measured[step] = measure(env, manager)
            for label, (rows, seconds) in measured[step].items():
                print(f"  {label:<22} rows covered {rows:>9,}  {seconds:7.3f} s  (goal < {goals[label]:.0f} s)")
        small, large = (measured[step] for step in STEPS)
        print("growth from {:,} to {:,} vends (time ratio / rows ratio; <= 1.0 is linear or better):".format(*STEPS))
        for label in small:
            rows_ratio = large[label][0] / max(small[label][0], 1)
            time_ratio = large[label][1] / small[label][1]
            print(f"  {label:<22} rows x{rows_ratio:5.1f}  time x{time_ratio:5.1f}  -> {time_ratio / rows_ratio:.2f}")


if __name__ == '__main__':
    main(sys.argv[1])
