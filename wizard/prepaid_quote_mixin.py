from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, to_decimal


class PrepaidQuoteMixin(models.AbstractModel):
    """What a vending wizard shows before it is confirmed: the engine's quote for the entered
    request, or the reason it would be refused. Confirming quotes again under the row lock."""
    _name = 'prepaid.quote.mixin'
    _description = 'Vend Quote Preview'

    method = fields.Selection([('energy', 'By Energy (kWh)'), ('money', 'By Money')],
                              default='energy', required=True)
    quantity = fields.Float(string='Energy or Amount', digits=(16, 2),
                            help="kWh when buying by energy, money when buying by money.")
    amount_tendered = fields.Float(digits=(16, 2),
                                   help="Money handed over; leave empty to tender exactly the amount due.")
    quote_energy_written = fields.Float(string='Energy Written', digits=ENERGY_DIGITS, compute='_compute_quote')
    quote_energy_net = fields.Float(string='Net Energy', digits=ENERGY_DIGITS, compute='_compute_quote')
    quote_preset = fields.Float(string='Preset Deducted', digits=ENERGY_DIGITS, compute='_compute_quote')
    quote_tiers = fields.Char(string='Tier Split', compute='_compute_quote')
    quote_amount_due = fields.Float(string='Amount Due', digits=(16, 2), compute='_compute_quote')
    quote_change = fields.Float(string='Change', digits=(16, 2), compute='_compute_quote')
    quote_balance_after = fields.Float(string='Balance Carried', digits=(16, 2), compute='_compute_quote')
    quote_error = fields.Char(string='Refused', compute='_compute_quote')

    def _quote_account(self):
        """The account to quote for (overridden by each wizard)."""
        raise NotImplementedError

    def _quote(self, by, quantity, amount_tendered):
        """The engine's quote for the request (a rewrite quotes as of before its vend)."""
        return self._quote_account()._quote(by, quantity, amount_tendered)

    def _request_args(self):
        """The request as exact decimals (the UI hands floats)."""
        self.ensure_one()
        try:
            quantity = to_decimal(self.quantity)
            tendered = to_decimal(self.amount_tendered) if self.amount_tendered else None
        except ValueError:
            raise UserError(self.env._("Enter a valid number.")) from None
        return self.method, quantity, tendered

    @api.depends('method', 'quantity', 'amount_tendered')
    def _compute_quote(self):
        for wizard in self:
            values = dict.fromkeys(
                ('quote_energy_written', 'quote_energy_net', 'quote_preset', 'quote_amount_due',
                 'quote_change', 'quote_balance_after'), 0.0)
            values.update(quote_tiers=False, quote_error=False)
            account = wizard._quote_account()
            if account and wizard.quantity:
                try:
                    quote = wizard._quote(*wizard._request_args())
                except UserError as error:
                    values['quote_error'] = error.args[0]
                else:
                    values.update(
                        quote_energy_written=float(quote.energy_written),
                        quote_energy_net=float(quote.energy_net),
                        quote_preset=float(quote.preset_deducted),
                        quote_amount_due=float(quote.amount_due),
                        quote_change=float(quote.change),
                        quote_balance_after=float(quote.balance_after),
                        quote_tiers='; '.join(f'{t.energy} kWh × {t.price}' for t in quote.tiers),
                    )
            wizard.update(values)
