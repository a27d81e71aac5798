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

    # indexed by the unique (meter, day) below
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, ondelete='restrict')
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
    # the bill points to its reading (written once, with the bill), not the other way round
    bill_id = fields.Many2one('prepaid.meter.bill', compute='_compute_bill_id')
    billing_state = fields.Selection([
        ('already_billed', 'Already billed: a later reading was taken in first'),
        ('no_customer', 'No customer on the meter: taken as its base'),
    ], readonly=True, help="Why this reading billed nothing, when it did not (empty: it was billed).")

    _meter_day_uniq = models.Constraint('unique(meter_id, day)', "A meter has one frozen reading per day.")

    def _compute_bill_id(self):
        # through the bills' (meter, day) index: one query for a whole list
        bills = self.env['prepaid.meter.bill'].search([
            ('meter_id', 'in', self.meter_id.ids), ('day', 'in', list(set(self.mapped('day')))),
            ('kind', '=', 'daily')])
        bill_of = {bill.reading_id: bill for bill in bills}
        for reading in self:
            reading.bill_id = bill_of.get(reading, False)

    def _registers(self):
        self.ensure_one()
        return Registers(**{name: to_decimal(self[name]) for name in REGISTER_FIELDS})
