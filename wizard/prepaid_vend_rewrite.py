from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import to_decimal


class PrepaidVendRewrite(models.TransientModel):
    """Rewrite credit (改写卡内电量): correct the last vend while its credit is still on the card.
    The vend itself changes (audited by an operation record and its chatter); no new vend."""
    _name = 'prepaid.vend.rewrite'
    _description = 'Rewrite Card Credit'
    _inherit = ['prepaid.quote.mixin']

    vend_id = fields.Many2one('prepaid.vend', required=True, readonly=True)
    account_id = fields.Many2one(related='vend_id.account_id')
    method = fields.Selection(compute='_compute_method', store=True, readonly=True)

    @api.depends('vend_id')
    def _compute_method(self):
        for wizard in self:
            wizard.method = wizard.vend_id.method or 'energy'

    def _quote_account(self):
        return self.vend_id.account_id

    def _quote_state_overrides(self):
        """Quote as the account stood just before the vend being rewritten."""
        vend = self.vend_id
        return {
            'is_first_vend': vend.is_first_vend,
            'money_balance': to_decimal(vend.balance_before),
            'period_energy': to_decimal(vend.period_energy_before),
            'is_card_credit_valid': False,
            'over_zero_energy': to_decimal(vend.over_zero_deducted),
        }

    def action_confirm(self):
        self.ensure_one()
        vend = self.vend_id
        account = vend.account_id
        account._lock_for_vend()
        if vend.kind != 'sale' or not vend._is_last_vend():
            raise UserError(self.env._("Only the customer's last sale can be rewritten."))
        if not account.is_credit_valid or vend.state == 'cancelled':
            raise UserError(self.env._(
                "The credit of vend %(name)s has already reached the meter: it can no longer be "
                "rewritten. Sell a new vend instead.", name=vend.name))
        quote = account._quote(*self._request_args(), **self._quote_state_overrides())
        before = {'energy_before': vend.energy_bought, 'amount_before': vend.amount_due}
        vals = account._prepare_vend_vals(quote, vend.client_request_id, vend.channel, None)
        for key in ('account_id', 'meter_id', 'station_id', 'sequence', 'kind', 'channel',
                    'client_request_id'):
            vals.pop(key)
        vend.write({**vals, 'rewrite_count': vend.rewrite_count + 1, 'state': 'to_write'})
        account.write({
            'money_balance': float(quote.balance_after),
            'period_energy': float(quote.period_energy_before + quote.energy_bought),
        })
        account._record_operation('rewrite', vend_id=vend.id, **before,
                                  energy_after=float(quote.energy_bought),
                                  amount_after=float(quote.amount_due))
        return {'type': 'ir.actions.act_window', 'res_model': 'prepaid.vend', 'res_id': vend.id,
                'view_mode': 'form'}
