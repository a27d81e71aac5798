"""Server time of syncing a paid POS order: a vending order against a plain product order.

Usage (from the repository root): bash bench/run.sh (or: python bench/pos_sync_bench.py DB CONF)
Both orders are one line of 122.00 paid in cash, synced through `pos.order.sync_from_ui` as
the POS sends them. The vending order also makes the vend (row lock, quote, vend record,
account update) and queues the card write on the till's bridge; the job's image, sealed PSCs
and signature are minted when the bridge takes it, which is timed apart. Goal: ratio <= 1.25.
Everything runs in one transaction that is rolled back.
"""
import statistics
import sys
import time
import uuid
from random import randint

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tools import config

SAMPLES = 150
STATION = '310101'    # the station whose key `scripts/setup.sh` writes into the key file


def order_data(session, product, amount, payment_method, **line_vals):
    return {
        'uuid': str(uuid.uuid4()), 'name': 'Bench order', 'session_id': session.id, 'user_id': session.env.uid,
        'pricelist_id': session.config_id.pricelist_id.id, 'fiscal_position_id': False,
        'date_order': fields.Datetime.to_string(fields.Datetime.now()), 'last_order_preparation_change': '{}',
        'amount_paid': amount, 'amount_return': 0, 'amount_tax': 0, 'amount_total': amount, 'state': 'paid',
        'lines': [(0, 0, {'id': randint(1, 10**6), 'product_id': product.id, 'qty': 1, 'price_unit': amount,
                          'price_subtotal': amount, 'price_subtotal_incl': amount, 'tax_ids': [(6, 0, [])],
                          'pack_lot_ids': [], **line_vals})],
        'payment_ids': [(0, 0, {'amount': amount, 'name': fields.Datetime.now(),
                                'payment_method_id': payment_method.id})],
    }


def setup(env):
    company = env.company
    journal = env['account.journal'].create({'name': 'Bench Cash', 'type': 'cash', 'code': 'BCSH'})
    cash = env['pos.payment.method'].create({'name': 'Bench Cash', 'journal_id': journal.id})
    station = env['prepaid.station'].search([('code', '=', STATION)], limit=1) or \
        env['prepaid.station'].create({'name': 'Bench POS Station', 'code': STATION})
    tariff = env['prepaid.tariff'].create({'name': 'Bench flat 2.0000', 'price': 2.0})
    meter_type = env['prepaid.meter.type'].create({'name': 'Bench POS meters'})
    bridge = env['prepaid.card.bridge'].create({'name': 'Bench till'})
    bridge._pair(bridge.pairing_code)
    pos_config = env['pos.config'].create({'name': 'Bench till', 'payment_method_ids': [(6, 0, cash.ids)],
                                           'prepaid_bridge_id': bridge.id})
    pos_config.open_ui()
    session = pos_config.current_session_id
    plain = env['product.product'].create({'name': 'Bench widget', 'type': 'service', 'list_price': 122,
                                           'available_in_pos': True, 'taxes_id': [(5, 0, 0)]})
    company._prepaid_sync_product_account()
    accounts = env['prepaid.account']
    for index in range(SAMPLES):
        meter = env['prepaid.meter'].create({'number': f'9{index:011d}', 'meter_type_id': meter_type.id})
        account = env['prepaid.account'].create({
            'partner_id': env['res.partner'].create({'name': f'Bench POS customer {index}'}).id,
            'meter_id': meter.id, 'tariff_id': tariff.id, 'station_id': station.id})
        account.write({'purchase_sequence': 1})
        account.card_id = env['prepaid.card']._new_card_for(account, f'{0xB0000000 + index:016x}')
        accounts |= account
    env.flush_all()
    return session, cash, plain, accounts


def timed_sync(env, data):
    env.invalidate_all()
    start = time.perf_counter()
    env['pos.order'].sync_from_ui([data])
    env.flush_all()
    return time.perf_counter() - start


def main(db, conf):
    config.parse_config(['-c', conf, '-d', db, '--log-level', 'warn'])
    registry = Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env = env(user=env.ref('base.user_admin'), su=True)    # a POS user opens the session
        session, cash, plain, accounts = setup(env)
        electricity = env.ref('prepaid_electricity.product_electricity')
        # warm up (first calls load code and caches; the first vending order is the median's outlier)
        for _ in range(5):
            timed_sync(env, order_data(session, plain, 122.0, cash))
        plain_times, vend_times = [], []
        for account in accounts:
            plain_times.append(timed_sync(env, order_data(session, plain, 122.0, cash)))
            vend_times.append(timed_sync(env, order_data(
                session, electricity, 122.0, cash, prepaid_account_id=account.id, prepaid_method='energy',
                prepaid_quantity=61.0)))
        vends = env['prepaid.vend'].search([('account_id', 'in', accounts.ids)])
        jobs = env['prepaid.card.job'].search([('vend_id', 'in', vends.ids)])
        assert len(vends) == len(accounts) == len(jobs), (len(vends), len(jobs))
        assert all(v.amount_due == 122.0 and v.energy_bought == 61.0 for v in vends)
        mint_times = []
        for job in jobs:    # what the bridge's poll pays for each job (prepaid.card.job._take_pending)
            env.invalidate_all()
            start = time.perf_counter()
            assert not job._mint() and job.writes
            env.flush_all()
            mint_times.append(time.perf_counter() - start)
        cr.rollback()
    plain_ms = statistics.median(plain_times) * 1000
    vend_ms = statistics.median(vend_times) * 1000
    print(f"POS order sync (median of {len(accounts)}): plain product {plain_ms:.1f} ms, "
          f"vending order {vend_ms:.1f} ms (vend + queued card job), ratio {vend_ms / plain_ms:.2f} (goal <= 1.25)")
    print(f"Card job minted when the bridge takes it (not part of the sale): "
          f"{statistics.median(mint_times) * 1000:.1f} ms per job")


if __name__ == '__main__':
    main(*sys.argv[1:3])
