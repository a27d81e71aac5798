from odoo import fields, models


class PrepaidCollectionLog(models.Model):
    """The collection log (采集日志): every read and command the head-end carried out, with its
    result and the frames exchanged."""
    _name = 'prepaid.collection.log'
    _description = 'Collection Log'
    _order = 'date desc, id desc'
    _rec_name = 'date'

    date = fields.Datetime(required=True, readonly=True, index=True)
    head_end_id = fields.Many2one('prepaid.card.bridge', string='Head-end', readonly=True)
    concentrator_id = fields.Many2one('prepaid.concentrator', readonly=True, index='btree_not_null')
    concentrator_asset = fields.Char(string='Concentrator Asset Number', readonly=True)
    meter_id = fields.Many2one('prepaid.meter', readonly=True, index='btree_not_null')
    meter_address = fields.Char(readonly=True)
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    kind = fields.Selection([('daily', 'Daily Frozen Reading'), ('current', 'Current Registers'),
                             ('relay', 'Relay State'), ('command', 'Command')], required=True, readonly=True)
    result = fields.Selection([
        ('ok', 'OK'), ('no_answer', 'No Answer'), ('no_data', 'No Data'), ('refused', 'Refused by the Meter'),
        ('error', 'Error'), ('concentrator_offline', 'Concentrator Offline'),
        ('acknowledged', 'Acknowledged'), ('confirmed', 'Confirmed'), ('failed', 'Failed'), ('unknown', 'Unknown'),
    ], required=True, readonly=True, index=True)
    detail = fields.Char(readonly=True)
    frames = fields.Text(readonly=True)
