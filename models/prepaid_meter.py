from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import ENERGY_DIGITS, check_levels


class PrepaidMeter(models.Model):
    """A prepaid meter (电表) bound to at most one customer account at a time."""
    _name = 'prepaid.meter'
    _description = 'Prepaid Meter'
    _inherit = ['mail.thread']
    _rec_name = 'number'
    _rec_names_search = ['number']
    _order = 'number'

    number = fields.Char(string='Meter Number', size=12, required=True, tracking=True, index='trigram')
    meter_type_id = fields.Many2one('prepaid.meter.type', required=True, tracking=True)
    credit_unit = fields.Selection(related='meter_type_id.credit_unit')
    ct_ratio = fields.Integer(string='CT Ratio', default=1, required=True, tracking=True)
    pt_ratio = fields.Integer(string='PT Ratio', default=1, required=True, tracking=True)
    multiplier = fields.Integer(compute='_compute_multiplier', store=True,
                                help="CT ratio × PT ratio, e.g. PT 30 × CT 10 = 300.")
    side = fields.Selection(
        [('none', 'No transformer'), ('primary', 'Primary side'), ('secondary', 'Secondary side')],
        string='Metering Side', default='none', required=True, tracking=True,
        help="Primary side: the price written to the meter is price × multiplier. "
             "Secondary side: the credit written is credit ÷ multiplier, price unchanged.")
    constant = fields.Integer(string='Meter Constant (imp/kWh)', default=1600)
    start_reading = fields.Integer(string='Start Reading (kWh)')
    alarm_energy = fields.Float(string='Alarm Level', digits=ENERGY_DIGITS, default=20.0, tracking=True)
    pretrip_energy = fields.Float(string='Pre-trip Level', digits=ENERGY_DIGITS, default=10.0, tracking=True)
    hoarding_energy = fields.Float(string='Hoarding Limit', digits=ENERGY_DIGITS, default=9999.0, tracking=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', readonly=True,
                                 index='btree_not_null')
    state = fields.Selection(
        [('available', 'Available'), ('installed', 'Installed'), ('replaced', 'Replaced')],
        default='available', required=True, readonly=True, tracking=True)
    area_id = fields.Many2one('prepaid.area', related='account_id.area_id', store=True)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)

    _number_company_uniq = models.Constraint(
        'unique(number, company_id)', "This meter number is already registered.")

    @api.depends('ct_ratio', 'pt_ratio')
    def _compute_multiplier(self):
        for meter in self:
            meter.multiplier = meter.ct_ratio * meter.pt_ratio

    @api.constrains('number')
    def _check_number(self):
        for meter in self:
            if not (meter.number and meter.number.isdigit() and len(meter.number) <= 12):
                raise ValidationError(self.env._("A meter number has 1 to 12 digits."))

    @api.constrains('ct_ratio', 'pt_ratio', 'side')
    def _check_ratios(self):
        for meter in self:
            if meter.ct_ratio < 1 or meter.pt_ratio < 1:
                raise ValidationError(self.env._("CT and PT ratios must be at least 1."))
            if meter.side == 'none' and meter.multiplier != 1:
                raise ValidationError(self.env._(
                    "A meter with a CT/PT multiplier must say whether it meters the primary or "
                    "the secondary side."))

    @api.constrains('alarm_energy', 'pretrip_energy', 'hoarding_energy')
    def _check_levels(self):
        check_levels(self, self.env._("Levels must satisfy 0 ≤ pre-trip ≤ alarm ≤ hoarding limit."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.filtered('account_id') or self.env['prepaid.vend'].search_count(
                [('meter_id', 'in', self.ids)], limit=1):
            raise ValidationError(self.env._("A meter that has served a customer is never deleted."))
