from decimal import ROUND_HALF_UP, Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, PRICE_DIGITS, default_cash_journal, to_decimal


class PrepaidAccountRefund(models.TransientModel):
    """Suspend and refund (报停退费): the energy left on the meter (read from it, entered by
    hand) is paid back at the price the customer paid for it, with the money balance; the
    account becomes deactivated and its card invalid."""
    _name = 'prepaid.account.refund'
    _description = 'Suspend and Refund'

    account_id = fields.Many2one('prepaid.account', required=True, readonly=True)
    currency_id = fields.Many2one(related='account_id.currency_id')
    refund_energy = fields.Float(string='Energy Left on Meter (kWh)', digits=ENERGY_DIGITS)
    refund_price = fields.Float(digits=PRICE_DIGITS, compute='_compute_refund', string='Refund Price')
    money_balance = fields.Monetary(related='account_id.money_balance')
    refund_amount = fields.Monetary(compute='_compute_refund')
    journal_id = fields.Many2one(
        'account.journal', string='Refund Journal', required=True, domain="[('type', 'in', ('cash', 'bank'))]",
        default=lambda self: default_cash_journal(self.env))
    note = fields.Text()

    @api.depends('account_id', 'refund_energy')
    def _compute_refund(self):
        for wizard in self:
            price = wizard._refund_price()
            wizard.refund_price = float(price)
            wizard.refund_amount = float(wizard._refund_amount(price))

    def _refund_price(self):
        """The unit price of the customer's last sale (what the remaining energy cost them);
        the tariff's price when nothing was ever sold."""
        last_sale = self.env['prepaid.vend'].search(
            [('account_id', '=', self.account_id.id), ('kind', '=', 'sale'), ('state', '!=', 'cancelled')],
            order='sequence desc, id desc', limit=1)
        if last_sale:
            return to_decimal(last_sale.price, 4)
        return to_decimal(self.account_id.tariff_id.price, 4)

    def _refund_amount(self, price):
        """Energy read on the meter (meter units) converted to billing kWh, at the price paid."""
        precision = Decimal(self.account_id.station_id.payment_precision or '0.01')
        billing_energy = self.account_id._meter_rules().to_billing_energy(to_decimal(self.refund_energy))
        energy_amount = (billing_energy * price).quantize(precision, ROUND_HALF_UP)
        return energy_amount + to_decimal(self.account_id.money_balance)

    def _post_refund(self, amount):
        """Pay the refund back out of `journal_id`, against the prepaid electricity liability
        (or revenue) the sales were posted to."""
        account = self.account_id
        return account.company_id._post_prepaid_payment(
            account.partner_id, -amount, self.journal_id,
            self.env._("Electricity refund, customer %(number)s", number=account.number))

    def action_confirm(self):
        self.ensure_one()
        account = self.account_id
        account._check_manager()
        account._lock_for_vend()
        if account.state != 'active':
            raise UserError(self.env._("Only an active account can be suspended and refunded."))
        if self.refund_energy < 0:
            raise UserError(self.env._("The refunded energy cannot be negative."))
        sold = account._sold_energy()
        if to_decimal(self.refund_energy) > sold:
            raise UserError(self.env._(
                "%(energy)s kWh is more than was ever credited to meter %(meter)s (%(sold)s kWh).",
                energy=self.refund_energy, meter=account.meter_id.number, sold=sold))
        price = self._refund_price()
        amount = self._refund_amount(price)
        payment = self._post_refund(amount)
        account._record_operation('refund', refund_energy=self.refund_energy,
                                  refund_amount=float(amount), amount_before=account.money_balance,
                                  payment_id=payment.id, note=self.note)
        account._release_meter()
        account.write({'state': 'deactivated', 'money_balance': 0.0, 'is_credit_valid': False})
        return {'type': 'ir.actions.act_window_close'}
