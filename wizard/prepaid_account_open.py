from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, default_cash_journal, to_decimal

# What the wizard takes from a registered meter when its number is entered (a meter released by
# a deactivation or a move-out): the new account starts where the meter stands.
EXISTING_METER_FIELDS = ('start_reading', 'concentrator_id', 'rs485_port', 'baud', 'parity', 'room', 'auto_trip')


class PrepaidAccountOpen(models.TransientModel):
    """Open an account (新表开户). On an IC card meter, on a new card together with its first
    purchase. On a remote meter (move-in, 入住), without a card: with its remote settings
    (concentrator and port, room, start reading, alarm thresholds, overdraft limit) and an
    optional first top-up."""
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
                                    compute='_compute_meter_type_id', store=True, readonly=False,
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
    start_reading = fields.Float(string='Start Reading (kWh)', digits=ENERGY_DIGITS, compute='_compute_from_meter',
                                 store=True, readonly=False, precompute=True)
    alarm_energy = fields.Float(string='Alarm Level', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                store=True, readonly=False, precompute=True)
    pretrip_energy = fields.Float(string='Pre-trip Level', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                  store=True, readonly=False, precompute=True)
    journal_id = fields.Many2one(
        'account.journal', string='Payment Journal', required=True, domain="[('type', 'in', ('cash', 'bank'))]",
        compute='_compute_journal_id', store=True, readonly=False, precompute=True)
    hoarding_energy = fields.Float(string='Hoarding Limit', digits=ENERGY_DIGITS, compute='_compute_from_template',
                                   store=True, readonly=False, precompute=True)
    # --- remote meters (move-in)
    delivery = fields.Selection(related='meter_type_id.delivery', string='Credit Delivery')
    currency_id = fields.Many2one(related='station_id.currency_id')
    existing_meter_id = fields.Many2one(
        'prepaid.meter', string='Registered Meter', compute='_compute_existing_meter_id', store=True, precompute=True,
        help="The meter of this number already registered: it is taken as it stands (its last registers, "
             "its start reading unless you change it).")
    concentrator_id = fields.Many2one('prepaid.concentrator', compute='_compute_from_meter', store=True,
                                      readonly=False, precompute=True)
    rs485_port = fields.Integer(string='Concentrator Port', compute='_compute_from_meter', store=True,
                                readonly=False, precompute=True)
    baud = fields.Selection([('1200', '1200'), ('2400', '2400'), ('4800', '4800'), ('9600', '9600')],
                            string='Baud Rate', compute='_compute_from_meter', store=True, readonly=False,
                            precompute=True)
    parity = fields.Selection([('even', 'Even'), ('odd', 'Odd'), ('none', 'None')], compute='_compute_from_meter',
                              store=True, readonly=False, precompute=True)
    room = fields.Char(compute='_compute_from_meter', store=True, readonly=False, precompute=True)
    auto_trip = fields.Boolean(string='Automatic Trip', compute='_compute_from_meter', store=True, readonly=False,
                               precompute=True)
    alarm_threshold_1 = fields.Monetary(default=20.0)
    alarm_threshold_2 = fields.Monetary(default=10.0)
    overdraft_limit = fields.Monetary(default=0.0)
    settlement_method = fields.Selection([('cash', 'Cash'), ('bank', 'Bank')], default='cash', required=True)
    top_up_amount = fields.Monetary(string='First Top-up',
                                    help="Optional: money the tenant pays now, paid into the payment journal.")

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
            defaults = wizard.template_id._opening_defaults()
            del defaults['meter_type_id']   # _compute_meter_type_id
            wizard.update(defaults)

    @api.depends('template_id', 'existing_meter_id')
    def _compute_meter_type_id(self):
        """A registered meter's own type (a remote meter moved into stays remote), else the template's."""
        for wizard in self:
            wizard.meter_type_id = wizard.existing_meter_id.meter_type_id or wizard.template_id.meter_type_id

    @api.depends('meter_number', 'station_id')
    def _compute_existing_meter_id(self):
        for wizard in self:
            wizard.existing_meter_id = wizard.meter_number and self.env['prepaid.meter'].search([
                ('number', '=', wizard.meter_number), ('company_id', '=', wizard.station_id.company_id.id)], limit=1)

    @api.depends('existing_meter_id')
    def _compute_from_meter(self):
        """A registered meter's own settings; a new meter's defaults."""
        defaults = self.env['prepaid.meter'].default_get(list(EXISTING_METER_FIELDS))
        for wizard in self:
            meter = wizard.existing_meter_id
            wizard.update({name: meter[name] if meter else defaults.get(name, False) for name in EXISTING_METER_FIELDS})

    def _meter_vals(self):
        vals = {
            'number': self.meter_number, 'meter_type_id': self.meter_type_id.id,
            'ct_ratio': self.ct_ratio, 'pt_ratio': self.pt_ratio, 'side': self.side,
            'constant': self.constant, 'start_reading': self.start_reading,
            'alarm_energy': self.alarm_energy, 'pretrip_energy': self.pretrip_energy,
            'hoarding_energy': self.hoarding_energy, 'company_id': self.station_id.company_id.id,
        }
        if self.delivery == 'remote':
            vals.update({
                'concentrator_id': self.concentrator_id.id, 'rs485_port': self.rs485_port, 'baud': self.baud,
                'parity': self.parity, 'room': self.room, 'auto_trip': self.auto_trip,
            })
        return vals

    def _account_vals(self):
        vals = {
            'partner_id': self.partner_id.id, 'tariff_id': self.tariff_id.id,
            'area_id': self.area_id.id, 'station_id': self.station_id.id,
            'company_id': self.station_id.company_id.id,
        }
        if self.delivery == 'remote':
            vals.update({
                'alarm_threshold_1': self.alarm_threshold_1, 'alarm_threshold_2': self.alarm_threshold_2,
                'overdraft_limit': self.overdraft_limit, 'settlement_method': self.settlement_method,
            })
        return vals

    @api.depends('meter_number', 'meter_type_id', 'tariff_id', 'station_id', 'ct_ratio', 'pt_ratio',
                 'side', 'hoarding_energy')
    def _compute_quote(self):
        return super()._compute_quote()

    def _quote_account(self):
        if not (self.station_id and self.tariff_id and self.meter_type_id) or self.delivery == 'remote':
            return self.env['prepaid.account']
        meter = self.env['prepaid.meter'].new(self._meter_vals())
        return self.env['prepaid.account'].new({**self._account_vals(), 'meter_id': meter})

    def action_open_account(self):
        """Register the meter, open the account and make its first vend (preset deducted); on a
        remote meter, open the account and make the first top-up if there is one."""
        self.ensure_one()
        if self.delivery == 'remote':
            return self._open_remote_account()
        if not self.quantity:
            raise UserError(self.env._("An account is opened with its first purchase: enter the energy or amount."))
        account = self.env['prepaid.account']._open_account(self._meter_vals(), self._account_vals())
        vend = account._vend(*self._request_args(), journal=self.journal_id)
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': account.id,
            'view_mode': 'form', 'context': {'prepaid_new_vend_id': vend.id},
        }

    def _open_remote_account(self):
        """Move-in (入住) on a remote meter: no card and no purchase; billing starts from the
        start reading of a new meter, or from a registered meter's last registers."""
        if not self.concentrator_id:
            raise UserError(self.env._("A remote meter needs its concentrator."))
        if self.top_up_amount < 0:
            raise UserError(self.env._("The first top-up cannot be negative."))
        account = self.env['prepaid.account']._open_account(self._meter_vals(), self._account_vals())
        if self.top_up_amount:
            account._top_up(to_decimal(self.top_up_amount), self.journal_id,
                            client_request_id=f'open-account-wizard-{self.id}')
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'res_id': account.id,
            'view_mode': 'form',
        }
