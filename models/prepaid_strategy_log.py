from odoo import api, fields, models


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
    # what was queued, kept as data: the outcome reads in the reader's language, whoever decided
    sms_number = fields.Char(string='SMS To', readonly=True)
    email_to = fields.Char(string='E-mail To', readonly=True)
    outcome = fields.Char(compute='_compute_outcome')
    command_id = fields.Many2one('prepaid.meter.command', readonly=True)
    command_state = fields.Selection(related='command_id.state')
    sms_id = fields.Many2one('sms.sms', string='SMS', readonly=True)
    mail_id = fields.Many2one('mail.mail', string='E-mail', readonly=True)

    @api.depends('decision', 'sms_number', 'email_to')
    @api.depends_context('lang')
    def _compute_outcome(self):
        for log in self:
            if log.decision == 'trip':
                log.outcome = self.env._("Trip queued.")
            elif log.decision == 'close':
                log.outcome = self.env._("Close queued.")
            else:
                outcomes = [self.env._("SMS queued to %(phone)s", phone=log.sms_number)] if log.sms_number else []
                if log.email_to:
                    outcomes.append(self.env._("e-mail queued to %(email)s", email=log.email_to))
                log.outcome = '; '.join(outcomes) or self.env._("No phone or e-mail: nobody could be warned.")
