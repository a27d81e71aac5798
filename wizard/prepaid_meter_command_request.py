from odoo import fields, models


class PrepaidMeterCommandRequest(models.TransientModel):
    """A manager's remote trip, close or keep-power on/off of a meter, with the reason; the
    head-end carries it out at its next poll (prepaid.meter._manual_command)."""
    _name = 'prepaid.meter.command.request'
    _description = 'Remote Meter Command'

    meter_id = fields.Many2one('prepaid.meter', required=True, domain="[('delivery', '=', 'remote')]")
    relay_state = fields.Selection(related='meter_id.relay_state')
    keep_power = fields.Boolean(related='meter_id.keep_power')
    action = fields.Selection([('trip', 'Trip (power off)'), ('close', 'Close (power on)'),
                               ('keep_power_on', 'Keep Power On'), ('keep_power_off', 'Keep Power Off')], required=True)
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        command = self.meter_id._manual_command(self.action, self.reason)
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.meter.command', 'res_id': command.id,
            'name': self.env._("Meter Command"), 'view_mode': 'form',
        }
