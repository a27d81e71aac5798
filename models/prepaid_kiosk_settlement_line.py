from odoo import api, fields, models
from odoo.exceptions import UserError


class PrepaidKioskSettlementLine(models.Model):
    """One denomination of a terminal settlement (清机): the notes the bill acceptor says it
    stacked in the session against the notes the collector counted in the cassette."""
    _name = 'prepaid.kiosk.settlement.line'
    _description = 'Kiosk Settlement Denomination'
    _order = 'settlement_id, value desc'

    settlement_id = fields.Many2one('prepaid.kiosk.settlement', required=True, index=True, ondelete='cascade')
    state = fields.Selection(related='settlement_id.state')
    currency_id = fields.Many2one(related='settlement_id.currency_id')
    value = fields.Monetary(string='Denomination', required=True, readonly=True)
    acceptor_count = fields.Integer(string='Acceptor Notes', readonly=True,
                                    help="Notes of this value the bill acceptor stacked in the session.")
    acceptor_amount = fields.Monetary(compute='_compute_amounts', store=True)
    cassette_count = fields.Integer(string='Cassette Notes',
                                    help="Notes of this value the collector counted in the cassette.")
    cassette_amount = fields.Monetary(compute='_compute_amounts', store=True)
    difference = fields.Monetary(compute='_compute_amounts', store=True,
                                 help="Counted in the cassette minus stacked by the acceptor.")

    _value_unique = models.Constraint('UNIQUE(settlement_id, value)', "A settlement has one line per denomination.")
    _cassette_count_positive = models.Constraint('CHECK(cassette_count >= 0)',
                                                 "A cassette cannot hold fewer than zero notes.")

    @api.depends('value', 'acceptor_count', 'cassette_count')
    def _compute_amounts(self):
        for line in self:
            line.acceptor_amount = line.value * line.acceptor_count
            line.cassette_amount = line.value * line.cassette_count
            line.difference = line.cassette_amount - line.acceptor_amount

    def write(self, vals):
        if 'cassette_count' in vals and any(line.settlement_id.state != 'started' for line in self):
            raise UserError(self.env._("The cassette is counted while the settlement is started only."))
        return super().write(vals)
