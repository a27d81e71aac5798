import os
from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from card_bridge.sle4442 import VirtualSle4442

from ..engine import card_crypto
from ..engine.tests.virtual_meter import MeterRefused, VirtualMeter
from .common import PrepaidCommon, use_card_keys


def run_job(card, job):
    """What the card bridge does with a job: check the serial, present the PSC, write,
    set the card PSC, read back."""
    assert card.serial.hex() == job['serial']
    card.present_psc(job['present_psc'])
    for address, data in job['writes'].items():
        card.write(address, data)
    if job.get('new_psc'):
        card.change_psc(job['new_psc'])
    card.power_off()
    return card.read(0, 256)


@tagged('post_install', '-at_install')
class TestCards(PrepaidCommon):
    """The full card cycle through the ORM with a virtual card and a virtual meter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keys = {'654321': {'1': '00112233445566778899aabbccddeeff'},
                    '999999': {'1': 'ffeeddccbbaa99887766554433221100'}}
        cls.key_path = use_card_keys(cls, cls.keys)

    def key_lookup(self, station, version):
        value = self.env['prepaid.card.keyring']._load().get(station, {}).get(str(version))
        return bytes.fromhex(value) if value else None

    def setUp(self):
        super().setUp()
        self.card = VirtualSle4442(serial=bytes.fromhex('0a0b0c0d0e0f1011'))
        self.account = self.open_account(meter_number='000012345678', quantity='61')
        job = self.account.with_user(self.operator)._issue_card(self.card.serial.hex())
        readback = run_job(self.card, job)
        self.account.vend_ids.with_user(self.operator)._confirm_card_write(readback)
        self.meter = VirtualMeter(station_code='654321', meter_number='000012345678', key_lookup=self.key_lookup,
                                  preset=Decimal(20))

    def read(self, card=None):  # pylint: disable=method-required-super  # a test helper, not a model's read
        return self.env['prepaid.card'].with_user(self.operator)._read_card((card or self.card).read(0, 256))

    def sell(self, energy):
        vend = self.account.with_user(self.operator)._vend('energy', Decimal(energy))
        vend._confirm_card_write(run_job(self.card, vend._card_job()))
        return vend

    def test_issue_writes_the_first_vend(self):
        self.assertEqual(self.account.vend_ids.state, 'written')
        self.assertEqual(self.account.card_id.serial, '0a0b0c0d0e0f1011')
        self.assertNotEqual(self.card.psc, card_crypto.TRANSPORT_PSC)  # the card PSC replaced the transport one
        result = self.read()
        self.assertEqual(result['account'], self.account)
        self.assertTrue(result['decoded'].is_credit_valid)
        self.assertEqual(result['decoded'].image.credit, Decimal('61.00'))

    def test_full_cycle_over_several_vends(self):
        self.assertEqual(self.meter.insert(self.card), Decimal('41'))
        self.read()
        self.assertFalse(self.account.is_credit_valid)
        self.assertEqual(self.account.remaining_energy, 41.0)
        self.meter.consume(Decimal('30'))
        self.sell('50')
        self.assertEqual(self.meter.insert(self.card), Decimal('50'))
        self.meter.consume(Decimal('70'))           # 9 kWh past zero
        self.assertEqual(self.meter.insert(self.card), 0)  # the customer shows the card: write-back only
        self.read()
        self.assertEqual(self.account.over_zero_energy, 9.0)
        vend = self.sell('20')
        self.assertEqual(vend.energy_net, 11.0)     # over-zero deducted by the system...
        self.assertEqual(self.meter.insert(self.card), Decimal('11'))  # ...and by the meter
        self.read()
        history = self.env['prepaid.card.writeback'].search([('meter_id', '=', self.account.meter_id.id)])
        self.assertEqual(len(history), 3)
        self.assertEqual(history[0].cumulative_purchased, 102.0)

    def test_written_only_when_read_back_matches(self):
        self.meter.insert(self.card)
        self.read()
        vend = self.account._vend('energy', Decimal('10'))
        job = vend._card_job()
        job['writes'] = {a: d[:20] for a, d in job['writes'].items()}   # card pulled out mid-write
        with self.assertRaisesRegex(UserError, 'did not complete'):
            vend._confirm_card_write(run_job(self.card, job))
        self.assertEqual(vend.state, 'to_write')
        vend._confirm_card_write(run_job(self.card, vend._card_job()))  # retry: the same image
        self.assertEqual(vend.state, 'written')
        self.assertEqual(len(self.account.vend_ids), 2)

    def test_sale_refused_while_card_credit_valid(self):
        self.read()
        with self.assertRaisesRegex(UserError, 'still on the card'):
            self.account._vend('energy', Decimal('10'))

    def test_reissue(self):
        """Old card refused by the system, new card works, no extra credit."""
        new_card = VirtualSle4442(serial=bytes.fromhex('a1a2a3a4a5a6a7a8'))
        job = self.account.with_user(self.manager)._reissue_card(new_card.serial.hex())
        run_job(new_card, job)
        with self.assertRaisesRegex(UserError, 'newer card'):
            self.read(self.card)
        self.assertEqual(self.meter.insert(new_card), Decimal('41'))
        with self.assertRaises(MeterRefused):   # the old card's credit cannot be used as well
            self.meter.insert(self.card)
        self.assertEqual(self.meter.remaining, Decimal('41'))
        self.read(new_card)
        self.assertFalse(self.account.is_credit_valid)
        self.assertEqual(self.account.operation_ids.filtered(lambda o: o.kind == 'reissue').account_id, self.account)

    def test_operator_cannot_reissue(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.operator)._reissue_card('ffffffffffffffff')

    def test_rewrite_on_the_card(self):
        self.meter.insert(self.card)
        self.read()
        vend = self.sell('50')
        self.env['prepaid.vend.rewrite'].create({'vend_id': vend.id, 'quantity': 30}).action_confirm()
        self.assertEqual(vend.state, 'to_write')
        vend._confirm_card_write(run_job(self.card, vend._card_job()))
        self.assertEqual(self.meter.insert(self.card), Decimal('30'))

    def test_credit_recovery_checked_against_write_back(self):
        self.meter.insert(self.card)
        self.read()
        vend = self.sell('50')
        # the card was wiped by a bad insertion: the meter never got the 50 kWh
        self.card.present_psc(card_crypto.derive_psc(bytes.fromhex(self.keys['654321']['1']), self.card.serial))
        self.card.write(0x68, b'\x5a')
        self.read()
        wizard = self.env['prepaid.credit.recovery'].with_user(self.manager).create({
            'account_id': self.account.id, 'meter_cumulative_energy': float(self.meter.cumulative_purchased)})
        wizard.action_confirm()
        vend._confirm_card_write(run_job(self.card, vend._card_job()))
        self.assertEqual(self.meter.insert(self.card), Decimal('50'))
        self.read()
        again = self.env['prepaid.credit.recovery'].with_user(self.manager).create({
            'account_id': self.account.id, 'meter_cumulative_energy': float(self.meter.cumulative_purchased)})
        with self.assertRaises(UserError):
            again.action_confirm()

    def test_meter_replacement_restarts_the_sequence_on_the_card(self):
        self.meter.insert(self.card)
        self.read()
        self.env['prepaid.meter.replace'].with_user(self.manager).create({
            'account_id': self.account.id, 'new_meter_number': '000087654321',
            'new_meter_type_id': self.meter_type.id, 'remaining_energy': 41}).action_confirm()
        vend = self.account._last_vend()
        vend._confirm_card_write(run_job(self.card, vend._card_job()))
        new_meter = VirtualMeter(station_code='654321', meter_number='000087654321', key_lookup=self.key_lookup)
        self.assertEqual(new_meter.insert(self.card), Decimal('41'))
        with self.assertRaises(MeterRefused):
            self.meter.insert(self.card)    # the old meter refuses the new meter's card

    def test_refusals(self):
        blank = VirtualSle4442(serial=b'\x01' * 8)
        with self.assertRaisesRegex(UserError, 'blank'):
            self.read(blank)
        foreign = VirtualSle4442(serial=b'\x02' * 8)
        other = self.env['prepaid.station'].create({'name': 'Other', 'code': '999999'})
        other_account = self.open_account(meter_number='000000000777', station_id=other.id,
                                          meter_type_id=self.meter_type.id, tariff_id=self.tariff.id)
        run_job(foreign, other_account._issue_card(foreign.serial.hex()))
        with self.assertRaisesRegex(UserError, 'another station'):
            self.env['prepaid.card']._decode(foreign.read(0, 256), station=self.station)
        forged = bytearray(self.card.read(0, 256))
        forged[0x37] ^= 0x01
        with self.assertRaisesRegex(UserError, 'security check'):
            self.env['prepaid.card']._read_card(bytes(forged))
        with self.assertRaisesRegex(UserError, 'incomplete'):
            self.env['prepaid.card']._read_card(self.card.read(0, 100))
        stranger = VirtualSle4442(serial=b'\x03' * 8)
        from ..engine import card_format
        image = card_format.CardImage(station_code='654321', customer_number='999999999999', meter_number='1',
                                      sequence=1, credit=Decimal(10))
        master = bytes.fromhex(self.keys['654321']['1'])
        stranger.present_psc(card_crypto.TRANSPORT_PSC)
        for address, data in card_format.encode(image, stranger.serial, card_crypto.diversify(
                master, '654321', stranger.serial)).items():
            stranger.write(address, data)
        with self.assertRaisesRegex(UserError, 'No customer has the number 999999999999'):
            self.read(stranger)
        self.account.with_user(self.manager).action_deactivate()
        with self.assertRaisesRegex(UserError, 'cannot be used'):
            self.read()

    def test_clear_and_master_clear(self):
        job = self.env['prepaid.card'].with_user(self.operator)._clear_job(self.card.read(0, 256))
        run_job(self.card, job)
        with self.assertRaisesRegex(UserError, 'blank'):
            self.read()
        self.assertEqual(self.card.psc, card_crypto.TRANSPORT_PSC)
        with self.assertRaises(UserError):
            self.env['prepaid.card'].with_user(self.operator)._clear_job(self.card.read(0, 256), master_clear=True)

    def test_key_rotation_rekeys_on_next_write(self):
        self.meter.insert(self.card)
        self.read()
        self.station.with_user(self.admin).action_rotate_card_key()
        self.assertEqual(self.station.key_version, 2)
        self.assertNotIn('key', self.station.read()[0])   # nothing of the key reaches the client
        self.read()                                       # old card still read
        vend = self.sell('10')
        self.assertEqual(self.read()['decoded'].image.key_version, 2)
        self.assertEqual(self.account.card_id.key_version, 2)
        self.assertEqual(self.meter.insert(self.card), Decimal('10'))
        self.assertEqual(vend.state, 'written')

    def test_special_cards(self):
        blank = VirtualSle4442(serial=b'\x07' * 8)
        job = self.env['prepaid.card']._special_job(self.station, blank.serial.hex(), 'parameter',
                                                    {'alarm': 15, 'pretrip': 5, 'hoarding': 500})
        run_job(blank, job)
        decoded, card, account = self.env['prepaid.card']._decode(blank.read(0, 256))
        self.assertEqual((decoded.image.card_type, decoded.image.alarm, decoded.image.hoarding),
                         ('parameter', Decimal('15.00'), Decimal('500.00')))
        self.assertEqual(card.card_type, 'parameter')
        self.assertFalse(account)

    def test_key_file_must_be_private(self):
        os.chmod(self.key_path, 0o644)
        try:
            with self.assertRaisesRegex(UserError, '0600'):
                self.read()
        finally:
            os.chmod(self.key_path, 0o600)

    def test_write_and_reissue_through_wizard(self):
        """Backend card operations go to a bridge as signed jobs."""
        bridge = self.env['prepaid.card.bridge'].create({'name': 'Office'})
        bridge.sudo()._pair(bridge.pairing_code)
        self.meter.insert(self.card)
        self.read()
        vend = self.account._vend('energy', Decimal('10'))
        Wizard = self.env['prepaid.card.operation'].with_user(self.operator)
        Wizard.create({'operation': 'write', 'account_id': self.account.id, 'bridge_id': bridge.id}).action_confirm()
        job = bridge.job_ids
        self.assertRecordValues(job, [{'operation': 'write', 'vend_id': vend.id, 'state': 'pending'}])
        self.assertEqual(job._take_pending(bridge), job)     # minted as the bridge takes it
        self.assertEqual(job.serial, self.card.serial.hex())
        self.assertNotIn(self.card.psc.hex(), str(job.read()))   # the PSC travels sealed only
        bridge.card_serial = 'b1b2b3b4b5b6b7b8'
        with self.assertRaises(AccessError):
            Wizard.create({'operation': 'reissue', 'account_id': self.account.id,
                           'bridge_id': bridge.id}).action_confirm()
        self.env['prepaid.card.operation'].with_user(self.manager).create({
            'operation': 'reissue', 'account_id': self.account.id, 'bridge_id': bridge.id}).action_confirm()
        self.assertEqual(self.account.card_id.serial, 'b1b2b3b4b5b6b7b8')
        self.assertEqual(len(bridge.job_ids), 2)
