from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..engine import tariff as tariff_engine
from ..tools import ENERGY_DIGITS, PRICE_DIGITS, refusal_error, to_decimal


class PrepaidTariff(models.Model):
    """A price list for energy: flat, tiered by the energy bought in the tariff's period, or
    time-of-use (sharp, peak, flat, valley). Prices have 4 decimals."""
    _name = 'prepaid.tariff'
    _description = 'Electricity Tariff'
    _inherit = ['mail.thread']
    _order = 'name'

    name = fields.Char(required=True, tracking=True)
    kind = fields.Selection(
        [('flat', 'Flat'), ('tiered', 'Tiered'), ('tou', 'Time of Use')],
        string='Tariff Type', required=True, default='flat', tracking=True)
    price = fields.Float(
        digits=PRICE_DIGITS, tracking=True,
        help="Price per kWh of a flat tariff; the price of the first tier of a tiered one "
             "is taken from its tiers.")
    period = fields.Selection(
        [('month', 'Monthly'), ('year', 'Yearly')], default='year', required=True, tracking=True,
        help="Tiers count the energy bought in this period (China's residential tiers are yearly).")
    tier_ids = fields.One2many('prepaid.tariff.tier', 'tariff_id', string='Tiers', copy=True)
    price_sharp = fields.Float(string='Sharp Price', digits=PRICE_DIGITS, tracking=True)
    price_peak = fields.Float(string='Peak Price', digits=PRICE_DIGITS, tracking=True)
    price_flat = fields.Float(string='Flat Price', digits=PRICE_DIGITS, tracking=True)
    price_valley = fields.Float(string='Valley Price', digits=PRICE_DIGITS, tracking=True)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    active = fields.Boolean(default=True)
    display_price = fields.Char(compute='_compute_display_price', string='Price per kWh')

    @api.depends('kind', 'price', 'tier_ids.price', 'price_flat')
    def _compute_display_price(self):
        for tariff in self:
            if tariff.kind == 'tiered':
                tariff.display_price = ' / '.join(f'{p:.4f}' for p in tariff.tier_ids.mapped('price'))
            elif tariff.kind == 'tou':
                tariff.display_price = f'{tariff.price_flat:.4f}'
            else:
                tariff.display_price = f'{tariff.price:.4f}'

    def _price_beside_name(self):
        """The price to show next to the tariff's name, or '' when the name already says it
        (a flat tariff named "Residential 2.0000" reads "Residential 2.0000", not "... 2.0000 2.0000")."""
        self.ensure_one()
        return '' if self.display_price and self.display_price in (self.name or '') else (self.display_price or '')

    @api.constrains('kind', 'price', 'tier_ids', 'price_sharp', 'price_peak', 'price_flat', 'price_valley')
    def _check_prices(self):
        for tariff in self:
            try:
                tariff._to_engine()
            except tariff_engine.TariffError as error:
                raise refusal_error(self.env, error, ValidationError) from None

    def _period_key(self):
        """Today's period of the tariff's tiers (a year, or a month)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return f'{today:%Y}' if self.period == 'year' else f'{today:%Y-%m}'

    def _to_engine(self):
        """The tariff as the plain-Python engine's value object."""
        self.ensure_one()
        return tariff_engine.build_tariff(
            kind=self.kind,
            price=to_decimal(self.price, 4),
            period=self.period,
            # only a tiered tariff reads its tiers: a sale at a flat price saves the query
            tiers=[(to_decimal(t.upto_energy, 2) if t.upto_energy else None, to_decimal(t.price, 4))
                   for t in self.tier_ids.sorted('sequence')] if self.kind == 'tiered' else [],
            tou_prices={
                'sharp': to_decimal(self.price_sharp, 4), 'peak': to_decimal(self.price_peak, 4),
                'flat': to_decimal(self.price_flat, 4), 'valley': to_decimal(self.price_valley, 4),
            },
        )


class PrepaidTariffTier(models.Model):
    """One block of a tiered tariff: the price applies up to `upto_energy` kWh bought in the
    period (cumulative); the last tier has no upper bound."""
    _name = 'prepaid.tariff.tier'
    _description = 'Tariff Tier'
    _order = 'tariff_id, sequence, id'

    tariff_id = fields.Many2one('prepaid.tariff', required=True, ondelete='cascade', index=True)
    sequence = fields.Integer(default=10)
    upto_energy = fields.Float(
        string='Up to (kWh)', digits=ENERGY_DIGITS,
        help="Cumulative energy in the period up to which this price applies; empty on the last tier.")
    price = fields.Float(digits=PRICE_DIGITS, required=True)
