from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..tools import to_decimal


class PosOrderLine(models.Model):
    """An "Electricity" line of a POS order: the account, how much and how (energy or
    money) the operator quoted. The vend is created by the server when the order is paid.
    A rewrite line corrects the account's last vend instead; its price is the difference."""
    _inherit = 'pos.order.line'

    prepaid_account_id = fields.Many2one('prepaid.account', string='Electricity Customer', index='btree_not_null')
    prepaid_method = fields.Selection([('energy', 'By Energy'), ('money', 'By Money')], string='Bought')
    prepaid_quantity = fields.Float(string='Energy or Amount', digits=(16, 2))
    prepaid_vend_id = fields.Many2one('prepaid.vend', string='Vend', readonly=True, copy=False)
    prepaid_rewrite_vend_id = fields.Many2one('prepaid.vend', string='Rewritten Vend', copy=False,
                                              help="The vend whose credit this line rewrites.")
    prepaid_operation_id = fields.Many2one('prepaid.operation', string='Rewrite', readonly=True, copy=False)

    @api.model
    def _load_pos_data_fields(self, config):
        return super()._load_pos_data_fields(config) + [
            'prepaid_account_id', 'prepaid_method', 'prepaid_quantity', 'prepaid_vend_id',
            'prepaid_rewrite_vend_id', 'prepaid_operation_id']

    def _check_prepaid_price(self, amount, account):
        """The POS only showed the server's quote; the server checks the price again."""
        self.ensure_one()
        if float_compare(amount, self.price_subtotal_incl, precision_rounding=self.currency_id.rounding):
            raise UserError(self.env._(
                "The electricity line of %(customer)s is priced %(line)s but the vend costs %(vend)s: "
                "quote it again.", customer=account.number, line=self.price_subtotal_incl, vend=amount))

    def _prepaid_channel(self):
        return 'kiosk' if self.order_id.config_id.prepaid_kiosk else 'pos'

    def _prepaid_top_up(self):
        """The top-up (充值) of a remote account's balance by this line's amount, checked
        against the line's price first; no card to write. Idempotent on the line."""
        self.ensure_one()
        account = self.prepaid_account_id
        if self.prepaid_method == 'energy':
            raise UserError(self.env._(
                "Customer %(number)s has a remote meter: top up its balance by money.", number=account.number))
        amount = to_decimal(self.prepaid_quantity)
        self._check_prepaid_price(float(amount), account)
        return account._top_up(amount, client_request_id=f'pos-line-{self.uuid or self.id}',
                               channel=self._prepaid_channel(),
                               extra_vals={'pos_order_line_id': self.id})
