"""Vends and attachments for the restore test (scripts/ha_backup_test.sh), through Odoo's registry.

    python ha_backup_vends.py -c ODOO_CONF -d DB vend PREFIX N   N vends (each committed), one attachment
    python ha_backup_vends.py -c ODOO_CONF -d DB state           the test's vends and attachments (JSON)
    python ha_backup_vends.py -c ODOO_CONF -d DB file PREFIX     the path of attachment PREFIX's file
"""
import argparse
import hashlib
import json
import os
import uuid
from decimal import Decimal

PREFIX = 'backup-test-'


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', dest='conf', required=True)
    parser.add_argument('-d', dest='db', required=True)
    parser.add_argument('action', choices=['vend', 'state', 'file'])
    parser.add_argument('prefix', nargs='?')
    parser.add_argument('count', nargs='?', type=int, default=5)
    args = parser.parse_args()

    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry
    from odoo.tools import config
    config.parse_config(['-c', args.conf, '--log-level=warn'], setup_logging=True)
    registry = Registry(args.db)
    from odoo.addons.prepaid_electricity.tools import default_cash_journal  # on the addons path now

    if args.action == 'vend':
        ids = []
        for n in range(args.count):
            with registry.cursor() as cr:            # committed on leaving the block
                env = api.Environment(cr, SUPERUSER_ID, {})
                account = make_account(env, f'{args.prefix}{n}')
                request = f'{PREFIX}{args.prefix}-{n}-{uuid.uuid4().hex[:8]}'
                # paid in the station's cash journal, as a backend sale: the day still reconciles
                account._vend('energy', Decimal('30'), client_request_id=request,
                              journal=default_cash_journal(env, account.station_id))
            ids.append(request)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            raw = os.urandom(4096) + args.prefix.encode()
            env['ir.attachment'].create({'name': f'{PREFIX}{args.prefix}', 'raw': raw})
        print(json.dumps(ids))
        return
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.action == 'file':
            att = env['ir.attachment'].search([('name', '=', f'{PREFIX}{args.prefix}')])
            print(att._full_path(att.store_fname))
            return
        vends = env['prepaid.vend'].search([('client_request_id', '=like', f'{PREFIX}%')])
        attachments = {}
        for att in env['ir.attachment'].search([('name', '=like', f'{PREFIX}%')]):
            path = att._full_path(att.store_fname)
            ok = os.path.exists(path) and hashlib.sha1(open(path, 'rb').read()).hexdigest() == att.checksum
            attachments[att.name[len(PREFIX):]] = 'ok' if ok else 'missing'
        print(json.dumps({'vends': sorted(vends.mapped('client_request_id')), 'attachments': attachments}))


def make_account(env, code):
    """A station, a flat tariff, a meter and an active account on them (as tests/common.py)."""
    number = str(int(hashlib.sha1(code.encode()).hexdigest(), 16))[:12]
    station = env['prepaid.station'].create({'name': f'Backup test {code}', 'code': number[:6]})
    tariff = env['prepaid.tariff'].create({'name': 'Flat 2.0', 'price': 2.0})
    meter_type = env['prepaid.meter.type'].create({'name': f'Backup test {code}'})
    meter = env['prepaid.meter'].create({'number': number, 'meter_type_id': meter_type.id})
    return env['prepaid.account'].create({
        'partner_id': env['res.partner'].create({'name': f'Backup test {code}'}).id, 'meter_id': meter.id,
        'tariff_id': tariff.id, 'station_id': station.id})


if __name__ == '__main__':
    main()
