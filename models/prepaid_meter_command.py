from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# How long a relay command may wait for the head-end: the meter refuses it after this.
COMMAND_LIFETIME = timedelta(hours=24)
PENDING_STATES = ('queued', 'unknown', 'acknowledged')
FINAL_STATES = ('confirmed', 'failed', 'expired', 'cancelled')
# what the meter shows once each action is done
RELAY_AFTER = {'trip': 'open', 'close': 'closed', 'close_allowed': 'close_allowed'}
KEEP_POWER_AFTER = {'keep_power_on': True, 'keep_power_off': False}


class PrepaidMeterCommand(models.Model):
    """A relay command to a remote meter (trip 跳闸, close 合闸, keep-power 保电 on/off), by a
    manager with a reason or by the automatic strategy. Its id makes it idempotent: the
    head-end sends the frame once and confirms it by reading the relay back; a command whose
    answer was lost is read back before anything is sent again, never re-sent blindly."""
    _name = 'prepaid.meter.command'
    _description = 'Meter Command'
    _order = 'id desc'
    _check_company_auto = True

    name = fields.Char(string='Reference', compute='_compute_name')
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, index=True, check_company=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', readonly=True,
                                 index='btree_not_null')
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    action = fields.Selection([
        ('trip', 'Trip (power off)'), ('close', 'Close (power on)'),
        ('close_allowed', 'Allow Close (tenant presses the button)'),
        ('keep_power_on', 'Keep Power On'), ('keep_power_off', 'Keep Power Off'),
    ], required=True, readonly=True)
    origin = fields.Selection([('manual', 'By a Manager'), ('strategy', 'Automatic Strategy')],
                              default='manual', required=True, readonly=True)
    reason = fields.Char(readonly=True)
    user_id = fields.Many2one('res.users', string='Requested By', default=lambda self: self.env.user, readonly=True)
    state = fields.Selection([
        ('queued', 'Queued'), ('unknown', 'Sent, No Answer'), ('acknowledged', 'Acknowledged by the Meter'),
        ('confirmed', 'Confirmed by Read-back'), ('failed', 'Failed'), ('expired', 'Expired'),
        ('cancelled', 'Cancelled'),
    ], default='queued', required=True, readonly=True, index=True)
    attempts = fields.Integer(readonly=True, help="Frames the head-end sent for this command (never blindly).")
    expiry = fields.Datetime(required=True, readonly=True,
                             default=lambda self: fields.Datetime.now() + COMMAND_LIFETIME,
                             help="The meter refuses the command after this time.")
    sent_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(string='Result At', readonly=True)
    result_reason = fields.Char(readonly=True)
    detail = fields.Char(readonly=True, help="What the head-end or the meter said.")
    cancel_reason = fields.Selection([
        ('replaced', 'Replaced by a newer command'),
        ('money_back', 'The balance came back before the trip was sent'),
    ], readonly=True)
    frames = fields.Text(readonly=True, help="Frames sent and received, as hexadecimal.")

    _state_idx = models.Index("(meter_id) WHERE state IN ('queued', 'unknown', 'acknowledged')")

    def _compute_name(self):
        for command in self:
            command.name = f'CMD{command.id:06d}' if command.id else '/'

    # ------------------------------------------------------------------ queueing
    @api.model
    def _queue(self, meter, action, reason, origin='manual'):
        """Queue `action` for `meter`, unless the same is already on its way (that one is
        returned). An opposite relay command not sent yet is cancelled: the newer one wins."""
        if action == 'close' and meter.meter_type_id.close_needs_button:
            action = 'close_allowed'
        pending = self.search([('meter_id', '=', meter.id), ('state', 'in', PENDING_STATES)])
        same = pending.filtered(lambda c: c.action == action)
        if same:
            return same[:1]
        relay_actions = set(RELAY_AFTER)
        opposite = pending.filtered(lambda c: (c.action in relay_actions) == (action in relay_actions))
        unsent = opposite.filtered(lambda c: c.state == 'queued' and not c.attempts)
        unsent.write({'state': 'cancelled', 'done_at': fields.Datetime.now(),
                      'cancel_reason': 'replaced'})
        if opposite - unsent:
            raise UserError(self.env._(
                "A command to meter %(meter)s is still on its way (%(command)s): wait for its result.",
                meter=meter.number, command=(opposite - unsent)[0].name))
        return self.create({'meter_id': meter.id, 'account_id': meter.account_id.id, 'company_id': meter.company_id.id,
                            'action': action, 'reason': reason, 'origin': origin})

    def _expire(self):
        """Pending commands past their expiry: the meter would refuse them now."""
        expired = self.search([('state', 'in', PENDING_STATES), ('expiry', '<', fields.Datetime.now())])
        expired.write({'state': 'expired', 'done_at': fields.Datetime.now()})
        return expired

    def _to_work(self):
        return [{'id': str(command.id), 'meter': command.meter_id.number, 'action': command.action,
                 'expiry': command.expiry.isoformat() + '+00:00',
                 'sent_before': command.state != 'queued' or bool(command.attempts)} for command in self]

    # ------------------------------------------------------------------ results
    def _apply_result(self, result):
        """Take in the head-end's result for this command (`head_end.backend.CommandResult`).
        A result for a command already settled changes nothing."""
        self.ensure_one()
        if self.state in FINAL_STATES:
            return
        state = {'confirmed': 'confirmed', 'acknowledged': 'acknowledged', 'unknown': 'unknown',
                 'failed': 'expired' if result.reason == 'expired' else 'failed'}[result.state]
        at = result.at.replace(tzinfo=None)
        frames = '\n'.join(f'{frame.at:%Y-%m-%d %H:%M:%S} {frame.direction} {frame.protocol}: {frame.hex}'
                           for frame in result.frames)
        vals = {'state': state, 'result_reason': result.reason or False, 'detail': result.detail or False,
                'frames': '\n'.join(filter(None, [self.frames, frames])) or False}
        if result.sent:
            vals.update(attempts=self.attempts + 1, sent_at=at)
        if state in FINAL_STATES:
            vals['done_at'] = at
        self.write(vals)
        if state == 'confirmed':
            self._apply_to_meter()

    def _apply_to_meter(self):
        meter = self.meter_id
        if self.action in RELAY_AFTER:
            meter.write({'relay_state': RELAY_AFTER[self.action],
                         'tripped_by_strategy': self.action == 'trip' and self.origin == 'strategy'})
        else:
            meter.keep_power = KEEP_POWER_AFTER[self.action]
