from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, PRICE_DIGITS


class PrepaidVend(models.Model):
    """One purchase (购电): what was sold, at what price, what goes onto the card.

    A vend is created once per request (idempotent on `client_request_id`) and never deleted;
    corrections go through a rewrite, which keeps its own audit record."""
    _name = 'prepaid.vend'
    _description = 'Electricity Vend'
    _inherit = ['mail.thread']
    _order = 'date desc, id desc'
    _check_company_auto = True

    name = fields.Char(string='Reference', readonly=True, copy=False, default='/', index='trigram')
    date = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True, index=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 readonly=True, index=True, check_company=True)
    partner_id = fields.Many2one(related='account_id.partner_id', store=True, string='Customer')
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, check_company=True)
    station_id = fields.Many2one('prepaid.station', required=True, readonly=True, check_company=True)
    area_id = fields.Many2one(related='account_id.area_id', store=True)
    tariff_id = fields.Many2one('prepaid.tariff', required=True, readonly=True)
    user_id = fields.Many2one('res.users', string='Operator', default=lambda self: self.env.user,
                              readonly=True, index=True)
    company_id = fields.Many2one('res.company', required=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    sequence = fields.Integer(string='Purchase Sequence', readonly=True)
    kind = fields.Selection(
        [('sale', 'Sale'), ('replacement', 'Meter Replacement Credit')],
        default='sale', required=True, readonly=True,
        help="A sale is paid for; a meter replacement credit moves the old meter's remaining "
             "credit and is not.")
    method = fields.Selection([('energy', 'By Energy'), ('money', 'By Money')], required=True, readonly=True)
    channel = fields.Selection(
        [('backend', 'Backend'), ('pos', 'Point of Sale'), ('kiosk', 'Kiosk')],
        default='backend', required=True, readonly=True)
    is_first_vend = fields.Boolean(readonly=True)
    energy_bought = fields.Float(digits=ENERGY_DIGITS, readonly=True, tracking=True,
                                 help="Energy the customer paid for (kWh, primary side).")
    energy_written = fields.Float(digits=ENERGY_DIGITS, readonly=True,
                                  help="Credit written to the card, after the CT/PT effect.")
    energy_net = fields.Float(string='Net Energy', digits=ENERGY_DIGITS, readonly=True,
                              help="Energy the customer gets after the preset and over-zero deductions.")
    preset_deducted = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    over_zero_deducted = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    price = fields.Float(string='Unit Price', digits=PRICE_DIGITS, readonly=True)
    price_written = fields.Float(string='Price Written to Meter', digits=PRICE_DIGITS, readonly=True)
    tier_detail = fields.Json(string='Tier Split', readonly=True)
    tier_summary = fields.Char(compute='_compute_tier_summary', string='Tiers')
    period_energy_before = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    energy_amount = fields.Monetary(readonly=True, tracking=True,
                                    help="Cost of the energy, rounded to the payment precision.")
    amount_due = fields.Monetary(readonly=True, tracking=True,
                                 help="What the customer pays: the energy amount, less the money balance "
                                      "used, plus the balance carried.")
    amount_paid = fields.Monetary(string='Amount Tendered', readonly=True)
    change_amount = fields.Monetary(string='Change', readonly=True)
    balance_before = fields.Monetary(readonly=True)
    balance_after = fields.Monetary(readonly=True)
    state = fields.Selection(
        [('to_write', 'Waiting for Card Write'), ('written', 'Written'), ('cancelled', 'Cancelled')],
        default='to_write', required=True, readonly=True, tracking=True, index=True)
    is_recovered = fields.Boolean(string='Credit Recovered', readonly=True,
                                  help="The credit of this vend was restored once by a credit recovery.")
    rewrite_count = fields.Integer(readonly=True)
    client_request_id = fields.Char(readonly=True, copy=False,
                                    help="Identifier sent by the client; the same request twice "
                                         "gives this same vend.")

    _client_request_uniq = models.UniqueIndex(
        '(company_id, client_request_id) WHERE client_request_id IS NOT NULL',
        "This request has already been processed.")
    _account_sequence_idx = models.Index('(account_id, sequence)')

    @api.depends('tier_detail')
    def _compute_tier_summary(self):
        for vend in self:
            vend.tier_summary = '; '.join(
                f"{t['energy']} kWh × {t['price']}" for t in (vend.tier_detail or []))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('name', '/') == '/':
                vals['name'] = self.env['ir.sequence'].next_by_code('prepaid.vend')
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_always(self):
        raise UserError(self.env._("Vends are never deleted; they are part of the financial history."))

    def _find_by_request(self, client_request_id):
        return self.search([('client_request_id', '=', client_request_id),
                            ('company_id', '=', self.env.company.id)], limit=1)

    def _check_same_request(self, account):
        """A repeated request must be for the same account; otherwise the id was reused."""
        self.ensure_one()
        if self.account_id != account:
            raise UserError(self.env._(
                "Request %(request)s was already used for customer %(number)s.",
                request=self.client_request_id, number=self.account_id.number))
        return self

    def _is_last_vend(self):
        self.ensure_one()
        return self.sequence == self.account_id.purchase_sequence and self.meter_id == self.account_id.meter_id

    def action_mark_written(self):
        """Confirm the card write (until the card bridge reports it, an operator confirms)."""
        for vend in self:
            if vend.state != 'to_write':
                raise UserError(self.env._("Vend %(name)s is not waiting for a card write.", name=vend.name))
        self.write({'state': 'written'})
