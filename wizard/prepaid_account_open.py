from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, default_cash_journal


class PrepaidAccountOpen(models.TransientModel):
    """Open an account (新表开户) on a new card, together with its first purchase."""
    _name = 'prepaid.account.open'
    _description = 'Open Customer Account'
    _inherit = ['prepaid.quote.mixin']

    partner_id = fields.Many2one('res.partner', string='Customer', required=True)
    station_id = fields.Many2one('prepaid.station', required=True,
                                 default=lambda self: self.env['prepaid.station'].search([], limit=1))
    template_id = fields.Many2one('prepaid.template', domain="[('station_id', '=', station_id)]",
                                  compute='_compute_template_id', store=True, readonly=False, precompute=True)
    meter_number = fields.Char(required=True, size=12)
    meter_type_id = fields.Many2one('prepaid.meter.type', required=True,
                                    compute='_compute_from_template', store=True, readonly=False,
                                    precompute=True)
    tariff_id = fields.Many2one('prepaid.tariff', required=True,
                                compute='_compute_from_template', store=True, readonly=False,
                                    precompute=True)
    area_id = fields.Many2one('prepaid.area', compute='_compute_from_template', store=True, readonly=False,
                                    precompute=True)
    ct_ratio = fields.Integer(string='CT Ratio', default=1)
    pt_ratio = fields.Integer(string='PT Ratio', default=1)
    side = fields.Selection(
        [('none', 'No transformer'), ('primary', 'Primary side'), ('secondary', 'Secondary side')],
        string='Metering Side', default='none', required=True)
    constant = fields.Integer(string='Meter Constant (imp/kWh)', default=1600)
    start_reading = fields.Float(string='Start Reading (kWh)', digits=ENERGY_DIGITS)
    alarm_energy = fields.Float(string='Alarm Level', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                store=True, readonly=False, precompute=True)
    pretrip_energy = fields.Float(string='Pre-trip Level', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                  store=True, readonly=False, precompute=True)
    journal_id = fields.Many2one(
        'account.journal', string='Payment Journal', required=True, domain="[('type', 'in', ('cash', 'bank'))]",
        compute='_compute_journal_id', store=True, readonly=False, precompute=True)
    hoarding_energy = fields.Float(string='Hoarding Limit', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                   store=True, readonly=False, precompute=True)

    @api.depends('station_id')
    def _compute_template_id(self):
        for wizard in self:
            wizard.template_id = self.env['prepaid.template'].search(
                [('station_id', '=', wizard.station_id.id)], order='is_default desc, id', limit=1)

    @api.depends('station_id')
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = default_cash_journal(self.env, wizard.station_id)

    @api.depends('template_id')
    def _compute_from_template(self):
        for wizard in self:
            wizard.update(wizard.template_id._opening_defaults())

    def _meter_vals(self):
        return {
            'number': self.meter_number, 'meter_type_id': self.meter_type_id.id,
            'ct_ratio': self.ct_ratio, 'pt_ratio': self.pt_ratio, 'side': self.side,
            'constant': self.constant, 'start_reading': self.start_reading,
            'alarm_energy': self.alarm_energy, 'pretrip_energy': self.pretrip_energy,
            'hoarding_energy': self.hoarding_energy, 'company_id': self.station_id.company_id.id,
        }

    def _account_vals(self):
        return {
            'partner_id': self.partner_id.id, 'tariff_id': self.tariff_id.id,
            'area_id': self.area_id.id, 'station_id': self.station_id.id,
            'company_id': self.station_id.company_id.id,
        }

    @api.depends('meter_number', 'meter_type_id', 'tariff_id', 'station_id', 'ct_ratio', 'pt_ratio',
                 'side', 'hoarding_energy')
    def _compute_quote(self):
        return super()._compute_quote()

    def _quote_account(self):
        if not (self.station_id and self.tariff_id and self.meter_type_id):
            return self.env['prepaid.account']
        meter = self.env['prepaid.meter'].new(self._meter_vals())
        return self.env['prepaid.account'].new({**self._account_vals(), 'meter_id': meter})

    def action_open_account(self):
        """Register the meter, open the account and make its first vend (preset deducted)."""
        self.ensure_one()
        if not self.quantity:
            raise UserError(self.env._("An account is opened with its first purchase: enter the energy or amount."))
        account = self.env['prepaid.account']._open_account(self._meter_vals(), self._account_vals())
        vend = account._vend(*self._request_args(), journal=self.journal_id)
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': account.id,
            'view_mode': 'form', 'context': {'prepaid_new_vend_id': vend.id},
        }
