from odoo import fields, models

from ..engine.remote_billing import Registers
from ..tools import ENERGY_DIGITS, to_decimal

REGISTER_FIELDS = ('total', 'sharp', 'peak', 'flat', 'valley')


class PrepaidMeterReading(models.Model):
    """A remote meter's daily frozen registers (日冻结示数) for one day: the freeze the meter
    made at 00:00 closes the day before. One per meter and day, however often it is read."""
    _name = 'prepaid.meter.reading'
    _description = 'Daily Frozen Reading'
    _order = 'day desc, id desc'
    _rec_name = 'day'

    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, index=True, ondelete='restrict')
    account_id = fields.Many2one('prepaid.account', string='Customer Account', readonly=True,
                                 index='btree_not_null', help="The meter's account when the reading came in.")
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    day = fields.Date(required=True, readonly=True, help="The day the freeze closes.")
    freeze_time = fields.Datetime(readonly=True)
    read_time = fields.Datetime(readonly=True)
    total = fields.Float(string='Total (kWh)', digits=ENERGY_DIGITS, readonly=True)
    sharp = fields.Float(string='Sharp (kWh)', digits=ENERGY_DIGITS, readonly=True)
    peak = fields.Float(string='Peak (kWh)', digits=ENERGY_DIGITS, readonly=True)
    flat = fields.Float(string='Flat (kWh)', digits=ENERGY_DIGITS, readonly=True)
    valley = fields.Float(string='Valley (kWh)', digits=ENERGY_DIGITS, readonly=True)
    bill_id = fields.Many2one('prepaid.meter.bill', readonly=True, index='btree_not_null')
    billing_note = fields.Char(readonly=True, help="Why this reading billed nothing, when it did not.")

    _meter_day_uniq = models.Constraint('unique(meter_id, day)', "A meter has one frozen reading per day.")

    def _registers(self):
        self.ensure_one()
        return Registers(**{name: to_decimal(self[name]) for name in REGISTER_FIELDS})
