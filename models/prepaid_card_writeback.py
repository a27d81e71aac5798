from odoo import api, fields, models

from ..tools import ENERGY_DIGITS


class PrepaidCardWriteback(models.Model):
    """What a meter wrote back onto a card (返写信息), kept as history per meter each time a
    card is read."""
    _name = 'prepaid.card.writeback'
    _description = 'Meter Write-back'
    _order = 'date desc, id desc'

    date = fields.Datetime(default=fields.Datetime.now, readonly=True, index=True)
    card_id = fields.Many2one('prepaid.card', readonly=True, index='btree_not_null')
    account_id = fields.Many2one('prepaid.account', readonly=True, index=True)
    meter_id = fields.Many2one('prepaid.meter', readonly=True, index=True)
    company_id = fields.Many2one(related='account_id.company_id', store=True)
    generation = fields.Integer(readonly=True)
    remaining_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    over_zero_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    cumulative_purchased = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    total_consumption = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    insert_count = fields.Integer(readonly=True)
    last_purchase = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    meter_status = fields.Selection([('0', 'Normal'), ('1', 'Alarm'), ('2', 'Tripped')], readonly=True)
    meter_time = fields.Integer(readonly=True, help="The meter's own clock when it wrote back.")

    @api.model
    def _record(self, card, account, write_back):
        """Keep a write-back once, however often the same card is read."""
        vals = {
            'card_id': card.id, 'account_id': account.id, 'meter_id': account.meter_id.id,
            'generation': write_back.generation, 'remaining_energy': float(write_back.remaining),
            'over_zero_energy': float(write_back.over_zero),
            'cumulative_purchased': float(write_back.cumulative_purchased),
            'total_consumption': float(write_back.total_consumption), 'insert_count': write_back.insert_count,
            'last_purchase': float(write_back.last_purchase), 'meter_status': str(min(write_back.status, 2)),
            'meter_time': write_back.time,
        }
        existing = self.search([('card_id', '=', card.id), ('meter_id', '=', account.meter_id.id),
                                ('generation', '=', write_back.generation), ('meter_time', '=', write_back.time)],
                               limit=1)
        return existing or self.create(vals)
