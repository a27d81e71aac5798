from odoo import fields, models


class PrepaidStrategyLog(models.Model):
    """The strategy log (策略执行查询): every automatic decision on a remote account, the alarms
    sent, the trips and closes queued, with the balance that triggered it and the outcome."""
    _name = 'prepaid.strategy.log'
    _description = 'Strategy Log'
    _order = 'date desc, id desc'
    _rec_name = 'date'
    _check_company_auto = True

    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True, index=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True, readonly=True,
                                 index=True)
    meter_id = fields.Many2one('prepaid.meter', readonly=True)
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    decision = fields.Selection([('alarm_1', 'Alarm 1'), ('alarm_2', 'Alarm 2'), ('trip', 'Trip (power off)'),
                                 ('close', 'Close (power on)')],
                                required=True, readonly=True)
    balance = fields.Monetary(readonly=True, help="The balance the decision was taken on.")
    outcome = fields.Char(readonly=True)
    command_id = fields.Many2one('prepaid.meter.command', readonly=True)
    command_state = fields.Selection(related='command_id.state')
    sms_id = fields.Many2one('sms.sms', string='SMS', readonly=True)
    mail_id = fields.Many2one('mail.mail', string='E-mail', readonly=True)
