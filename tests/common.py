import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import TransactionCase, new_test_user
from odoo.tools import config

from card_bridge.vpcd import SlotTaken, VpcdCard, card_in_slot, check_slot_free, reader_name, wait_for_card

OPERATOR = 'prepaid_electricity.prepaid_electricity_group_operator'
MANAGER = 'prepaid_electricity.prepaid_electricity_group_manager'
ADMIN = 'prepaid_electricity.prepaid_electricity_group_admin'


def use_card_keys(cls, keys):
    """Give the test class its own card key file (mode 0600, as the server requires) holding
    `keys` ({station code: {key version: hex master key}}), removed at class cleanup; returns its path."""
    handle, path = tempfile.mkstemp(suffix='.json')
    os.close(handle)
    os.chmod(path, 0o600)
    with open(path, 'w') as f:
        json.dump(keys, f)
    cls.addClassCleanup(os.unlink, path)
    patcher = patch.dict(config.options, {'prepaid_card_key_file': path})
    patcher.start()
    cls.addClassCleanup(patcher.stop)
    return path


# The tests' own vpcd slot: vpcd offers two (TCP 35963 and 35964); the demo (`make run`) keeps
# the first, so that the tests and the demo never read each other's card.
TEST_VPCD_PORT = 35964
TEST_READER = reader_name(TEST_VPCD_PORT)          # "Virtual PCD 00 01"


def ensure_pcscd(cls):
    """Make sure pcscd answers, with vpcd's readers. It is shared with the demo (`make run`):
    started as a daemon (it forks itself away, so the test runner, which ends the children it
    finds after a test class, leaves it alone), never stopped under the demo, and it ends by
    itself a minute after its last client (--auto-exit; this test process stays one until it
    exits)."""
    if card_in_slot(TEST_VPCD_PORT) is not None:
        return
    subprocess.run([shutil.which('pcscd') or '/usr/sbin/pcscd', '--auto-exit'], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while card_in_slot(TEST_VPCD_PORT) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"pcscd does not answer with the reader {TEST_READER!r} "
                                 "(is vsmartcard-vpcd installed?)")
        time.sleep(0.3)


def insert_test_card(chip, **kwargs):
    """Plug `chip` into the tests' vpcd slot and wait until pcscd sees it there. A slot that
    already holds another card is refused with the reason (SlotTaken), instead of the test
    reading the wrong card."""
    check_slot_free(TEST_VPCD_PORT)
    card = VpcdCard(chip, port=TEST_VPCD_PORT, **kwargs).insert()
    try:
        wait_for_card(TEST_VPCD_PORT, chip.serial.hex())
    except SlotTaken:
        card.remove()
        raise
    return card


@contextmanager
def over_http(case):
    """Let a service's own HTTP client (card bridge, head-end) reach the HttpCase `case`'s
    server and transaction: what the test wrote is flushed first, and read anew after."""
    case.env.flush_all()
    with case.allow_requests(all_requests=True):
        yield
    case.env.invalidate_all()


def make_account(env, station_code, meter_number, customer='Customer', price=2.0):
    """A station, a flat tariff, a meter and an active account on them, for tests that do not
    need the full PrepaidCommon fixture (HTTP, POS, concurrency)."""
    station = env['prepaid.station'].create({'name': f'Station {station_code}', 'code': station_code})
    tariff = env['prepaid.tariff'].create({'name': f'Flat {price}', 'price': price})
    meter_type = env['prepaid.meter.type'].create({'name': f'Type {station_code}'})
    meter = env['prepaid.meter'].create({'number': meter_number, 'meter_type_id': meter_type.id})
    return env['prepaid.account'].create({
        'partner_id': env['res.partner'].create({'name': customer}).id, 'meter_id': meter.id,
        'tariff_id': tariff.id, 'station_id': station.id})


def make_kiosk(env, name, bridge, station):
    """A self-service kiosk of `station` on the card bridge `bridge`: a cash method (the bill
    acceptor, in a cash journal of its own) and the bank card terminal method."""
    cash_journal = env['account.journal'].create({'name': 'Kiosk Cash', 'code': 'KCSH', 'type': 'cash'})
    bank_journal = env['account.journal'].create({'name': 'Kiosk UnionPay', 'code': 'KUPY', 'type': 'bank'})
    cash_method = env['pos.payment.method'].create({'name': 'Kiosk Cash', 'journal_id': cash_journal.id})
    card_method = env['pos.payment.method'].create({
        'name': 'Kiosk UnionPay', 'journal_id': bank_journal.id, 'payment_method_type': 'terminal',
        'use_payment_terminal': 'prepaid_kiosk'})
    return env['pos.config'].create({
        'name': name, 'prepaid_kiosk': True, 'prepaid_bridge_id': bridge.id, 'prepaid_station_id': station.id,
        'payment_method_ids': [(6, 0, (cash_method | card_method).ids)],
        'prepaid_kiosk_cash_method_id': cash_method.id, 'prepaid_kiosk_card_method_id': card_method.id})


class PrepaidCommon(TransactionCase):
    """A station with the manual's figures: preset 20 kWh, price 2.0000, payment to 0.01."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.operator = new_test_user(env, login='pe_operator', groups=f'base.group_user,{OPERATOR}')
        cls.manager = new_test_user(env, login='pe_manager', groups=f'base.group_user,{MANAGER}')
        cls.admin = new_test_user(env, login='pe_admin', groups=f'base.group_user,{ADMIN}')
        cls.station = env['prepaid.station'].create({
            'name': 'Test Station', 'code': '654321', 'preset_energy': 20, 'payment_precision': '0.01'})
        cls.area = env['prepaid.area'].create({'name': 'Block 1', 'station_id': cls.station.id})
        cls.tariff = env['prepaid.tariff'].create({'name': 'Flat 2.0000', 'kind': 'flat', 'price': 2.0})
        cls.meter_type = env['prepaid.meter.type'].create({'name': 'Single phase', 'credit_unit': 'energy'})
        cls.template = env['prepaid.template'].create({
            'name': 'Default', 'station_id': cls.station.id, 'is_default': True, 'area_id': cls.area.id,
            'meter_type_id': cls.meter_type.id, 'tariff_id': cls.tariff.id})
        cls.partner = env['res.partner'].create({'name': 'Zhao Lei', 'phone': '13800000001'})

    @classmethod
    def open_account(cls, meter_number='100000000001', quantity='61', method='energy', user=None, **vals):
        """Open an account through the wizard, as the operator does, with its first purchase."""
        wizard = cls.env['prepaid.account.open'].with_user(user or cls.operator).create({
            'partner_id': cls.partner.id, 'station_id': cls.station.id, 'meter_number': meter_number,
            'method': method, 'quantity': float(Decimal(quantity)), **vals})
        action = wizard.action_open_account()
        return cls.env['prepaid.account'].browse(action['res_id'])

    @staticmethod
    def insert_card(account, remaining=None, over_zero=0):
        """The customer inserts the card into the meter: the credit is consumed and written back
        (so the card was written: no vend of it still waits for its card write)."""
        account.vend_ids.filtered(lambda vend: vend.state == 'to_write').write({'state': 'written'})
        account._apply_write_back(remaining if remaining is not None else account.remaining_energy,
                                  over_zero, is_credit_consumed=True)
