from odoo import fields, models
from odoo.exceptions import AccessDenied, UserError, ValidationError


class PrepaidStationCodeChange(models.TransientModel):
    """Change a station's code once cards exist: every card already issued becomes foreign,
    so the administrator confirms with their password."""
    _name = 'prepaid.station.code.change'
    _description = 'Change Station Code'

    station_id = fields.Many2one('prepaid.station', required=True, readonly=True)
    current_code = fields.Char(related='station_id.code')
    new_code = fields.Char(required=True, size=6)
    account_count = fields.Integer(related='station_id.account_count')
    # Never stored (as res.users.identitycheck): the button sends it in the context, so no
    # password ever reaches the wizard table, whether the check passes or fails.
    password = fields.Char(store=False, help="Your own login password, to confirm.")

    def action_confirm(self):
        self.ensure_one()
        user = self.env.user
        password = self.env.context.get('password')
        if not password:
            raise UserError(self.env._("Enter your password to change the station code."))
        try:
            user._check_credentials({'login': user.login, 'password': password, 'type': 'password'},
                                    {'interactive': True})
        except AccessDenied:
            raise UserError(self.env._("Wrong password: the station code was not changed.")) from None
        if not (self.new_code and self.new_code.isdigit() and len(self.new_code) == 6):
            raise ValidationError(self.env._("The station code must be exactly 6 digits."))
        old_code = self.current_code
        self.station_id.with_context(prepaid_station_code_confirmed=True).write({'code': self.new_code})
        self.station_id.message_post(body=self.env._(
            "Station code changed from %(old)s to %(new)s; cards issued under the old code are now foreign.",
            old=old_code, new=self.new_code))
        return {'type': 'ir.actions.act_window_close'}
