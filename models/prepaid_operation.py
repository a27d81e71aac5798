from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import ENERGY_DIGITS, PRICE_DIGITS

# What printing writes on an operation record: the count of its printed slips (copy mark).
PRINT_FIELDS = {'slip_print_count'}


class PrepaidOperation(models.Model):
    """The audit record of every account operation other than a sale: what was done, by whom,
    when, and the figures involved. Operations are never edited nor deleted."""
    _name = 'prepaid.operation'
    _inherit = ['pos.load.mixin']
    _description = 'Account Operation'
    _order = 'date desc, id desc'
    _check_company_auto = True

    name = fields.Char(string='Reference', readonly=True, copy=False, default='/')
    date = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True, index=True)
    kind = fields.Selection([
        ('open', 'Open Account'),
        ('rewrite', 'Rewrite Credit'),
        ('reissue', 'Reissue Card'),
        ('recovery', 'Credit Recovery'),
        ('modify', 'Modify Customer Data'),
        ('transfer', 'Ownership Transfer'),
        ('refund', 'Suspend and Refund'),
        ('deactivate', 'Deactivate'),
        ('reactivate', 'Reactivate'),
        ('close', 'Close Account'),
        ('erase', 'Erase Personal Data'),
        ('replace', 'Meter Replacement'),
        ('settle', 'Move-out Settlement'),
    ], required=True, readonly=True, index=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 readonly=True, index=True, check_company=True)
    company_id = fields.Many2one(related='account_id.company_id', store=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    user_id = fields.Many2one('res.users', string='Operator', default=lambda self: self.env.user, readonly=True)
    vend_id = fields.Many2one('prepaid.vend', readonly=True, index='btree_not_null')
    energy_before = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    energy_after = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    amount_before = fields.Monetary(readonly=True)
    amount_after = fields.Monetary(readonly=True)
    refund_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    refund_amount = fields.Monetary(readonly=True)
    refund_price = fields.Float(digits=PRICE_DIGITS, readonly=True,
                                help="Unit price the refunded energy was paid back at.")
    journal_id = fields.Many2one('account.journal', string='Refund Journal', readonly=True,
                                 help="Where the refund was paid out of.")
    slip_number = fields.Char(string='Refund Slip No.', readonly=True, copy=False, index='btree_not_null',
                              help="Number of the refund slip handed to the customer (one per refund).")
    slip_print_count = fields.Integer(readonly=True, copy=False,
                                      help="Refund slips printed; every print after the first is a copy.")
    old_partner_id = fields.Many2one('res.partner', readonly=True)
    new_partner_id = fields.Many2one('res.partner', readonly=True)
    old_meter_id = fields.Many2one('prepaid.meter', readonly=True)
    new_meter_id = fields.Many2one('prepaid.meter', readonly=True)
    meter_cumulative_energy = fields.Float(
        digits=ENERGY_DIGITS, readonly=True,
        help="Cumulative energy purchased as reported by the meter (credit recovery check).")
    sold_cumulative_energy = fields.Float(
        digits=ENERGY_DIGITS, readonly=True,
        help="Cumulative net energy sold by the system for this meter (credit recovery check).")
    payment_id = fields.Many2one('account.payment', readonly=True, index='btree_not_null',
                                 help="The money paid out (suspend and refund) or the difference "
                                      "settled by a rewrite in the backend.")
    pos_order_line_id = fields.Many2one('pos.order.line', string='POS Order Line', readonly=True,
                                        index='btree_not_null', copy=False,
                                        help="The POS line that settled a rewrite's difference.")
    client_request_id = fields.Char(readonly=True, copy=False,
                                    help="Identifier sent by the client; the same request twice "
                                         "gives this same operation.")
    note = fields.Text(readonly=True)

    _client_request_uniq = models.UniqueIndex(
        '(company_id, client_request_id) WHERE client_request_id IS NOT NULL',
        "This request has already been processed.")

    # ------------------------------------------------------------------ point of sale
    @api.model
    def _load_pos_data_domain(self, data, config):
        return False    # nothing preloaded: a rewrite comes back with the order that settled it

    @api.model
    def _load_pos_data_fields(self, config):
        return ['id', 'name', 'kind', 'vend_id', 'energy_before', 'energy_after', 'amount_before',
                'amount_after']

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('name', '/') == '/':
                vals['name'] = self.env['ir.sequence'].next_by_code('prepaid.operation')
            if vals.get('kind') == 'refund' and not vals.get('slip_number'):
                vals['slip_number'] = self.env['ir.sequence'].next_by_code('prepaid.refund.slip')
        return super().create(vals_list)

    @api.model
    def _find_rewrite(self, client_request_id, vend):
        """The rewrite already made for this request, if any (it must be of the same vend)."""
        if not client_request_id:
            return self
        operation = self.search([('client_request_id', '=', client_request_id), ('kind', '=', 'rewrite'),
                                 ('company_id', '=', vend.company_id.id)], limit=1)
        if operation and operation.vend_id != vend:
            raise UserError(self.env._("Request %(request)s was already used for vend %(vend)s.",
                                       request=client_request_id, vend=operation.vend_id.name))
        return operation

    def action_print_refund_slip(self):
        """The refund slip: the first print is the original, every reprint is marked a copy."""
        if self.filtered(lambda operation: operation.kind != 'refund'):
            raise UserError(self.env._("Only a suspension and refund has a refund slip."))
        return self.env.ref('prepaid_electricity.action_report_refund_slip').report_action(self)

    def write(self, vals):
        if set(vals) <= PRINT_FIELDS:
            return super().write(vals)
        raise UserError(self.env._("Operation records are an audit trail and cannot be changed."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_always(self):
        raise UserError(self.env._("Operation records are an audit trail and cannot be deleted."))
