from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import ENERGY_DIGITS, company_cash_journal


class PrepaidStation(models.Model):
    """A vending point (营业点). Its 6-digit code is written on every card it issues; a card
    with another code is foreign and refused, so changing the code is guarded."""
    _name = 'prepaid.station'
    _description = 'Vending Station'
    _inherit = ['mail.thread']
    _order = 'name'
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        string='Station Code', size=6, required=True, tracking=True,
        help="Six digits written on every card of this station. Cards bearing another code "
             "are foreign and refused.")
    preset_energy = fields.Float(
        digits=ENERGY_DIGITS, default=20.0, tracking=True,
        help="Energy a new meter holds from the factory; deducted at the first purchase.")
    payment_precision = fields.Selection(
        [('1', 'Yuan (1)'), ('0.1', 'Jiao (0.1)'), ('0.01', 'Fen (0.01)')],
        default='0.01', required=True, tracking=True,
        help="Amounts due are rounded to this precision.")
    energy_step = fields.Float(
        digits=ENERGY_DIGITS, default=1.0, required=True,
        help="Smallest energy unit sold. When buying by money, what does not buy a whole step "
             "stays as the customer's money balance.")
    key_version = fields.Integer(
        default=1, required=True, readonly=True, tracking=True,
        help="Card key version written on new cards; cards of older versions are still read and "
             "re-keyed on their next write.")
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    cash_journal_id = fields.Many2one(
        'account.journal', check_company=True, tracking=True,
        domain="[('type', '=', 'cash')]", default=lambda self: company_cash_journal(self.env.company),
        help="The station's till: backend sales, account openings, rewrites and refunds of its "
             "customers are paid in and out of it by default.")
    active = fields.Boolean(default=True)
    account_count = fields.Integer(compute='_compute_account_count')

    _code_uniq = models.Constraint('unique(code)', "The station code must be unique.")

    @api.constrains('code')
    def _check_code(self):
        for station in self:
            if not (station.code and len(station.code) == 6 and station.code.isdigit()):
                raise ValidationError(self.env._("The station code must be exactly 6 digits."))

    @api.constrains('preset_energy', 'energy_step')
    def _check_energy(self):
        for station in self:
            if station.preset_energy < 0:
                raise ValidationError(self.env._("The preset energy cannot be negative."))
            if station.energy_step <= 0:
                raise ValidationError(self.env._("The energy step must be positive."))

    @api.constrains('cash_journal_id')
    def _check_cash_journal(self):
        for station in self:
            if station.cash_journal_id and station.cash_journal_id.type != 'cash':
                raise ValidationError(self.env._("The station's cash journal must be a cash journal."))

    def _compute_account_count(self):
        counts = dict(self.env['prepaid.account']._read_group(
            [('station_id', 'in', self.ids)], ['station_id'], ['__count']))
        for station in self:
            station.account_count = counts.get(station, 0)

    def write(self, vals):
        if 'code' in vals and not self.env.context.get('prepaid_station_code_confirmed'):
            changed = self.filtered(lambda s: s.code != vals['code'])
            if changed and self.env['prepaid.account'].search_count(
                    [('station_id', 'in', changed.ids)], limit=1):
                raise ValidationError(self.env._(
                    "Cards have been issued under this station code. Changing it makes every "
                    "existing card foreign; use \"Change Station Code\" and confirm with your password."))
        return super().write(vals)

    def action_rotate_card_key(self):
        """Create the next card key version (straight into the key file, never shown)."""
        for station in self:
            self.env['prepaid.card.keyring']._generate_key(station.code, station.key_version + 1)
            station.key_version += 1
