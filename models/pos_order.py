from odoo import models
from odoo.exceptions import UserError

from ..tools import electricity_product, to_decimal


class PosOrder(models.Model):
    _inherit = 'pos.order'

    def _process_saved_order(self, draft):
        """Once a POS order is paid, make the vend of each electricity line (idempotent on the
        line: a resent or resynchronised order never makes a second vend) and queue its card
        write on the POS's card bridge."""
        self._set_prepaid_partner()
        order_id = super()._process_saved_order(draft)
        if not draft and self.state in ('paid', 'done', 'invoiced'):
            self._create_prepaid_vends()
        return order_id

    def _set_prepaid_partner(self):
        """An order selling electricity is the customer's: its partner is the account's
        partner (set when the POS sent none), the same for every electricity line."""
        self.ensure_one()
        partners = self.lines.prepaid_account_id.partner_id
        if not partners:
            return
        if len(partners) > 1:
            raise UserError(self.env._(
                "An order sells electricity to one customer only (%(customers)s): sell to each in "
                "their own order.", customers=", ".join(partners.mapped('name'))))
        if not self.partner_id:
            self.partner_id = partners
        elif self.partner_id != partners:
            raise UserError(self.env._(
                "This order is for %(partner)s but its electricity is for %(customer)s: the customer "
                "of an electricity order is the account's customer.",
                partner=self.partner_id.name, customer=partners.name))

    def _refund(self):
        # Energy on a card cannot be taken back by returning the line: the meter has it.
        if self.lines.prepaid_account_id:
            raise UserError(self.env._(
                "Electricity cannot be returned: use Suspend and Refund on the customer."))
        return super()._refund()

    def read_pos_data(self, data, config):
        # The vends made while processing the order go back to the POS with it, as
        # pos_event returns its registrations: the receipt and the card-write progress use them.
        results = super().read_pos_data(data, config)
        if config:
            vends = self.lines.prepaid_vend_id
            results['prepaid.vend'] = self.env['prepaid.vend']._load_pos_data_read(vends, config)
            results['prepaid.account'] = self.env['prepaid.account']._load_pos_data_read(
                self.lines.prepaid_account_id, config)
            results['prepaid.operation'] = self.env['prepaid.operation']._load_pos_data_read(
                self.lines.prepaid_operation_id, config)
        return results

    def _create_prepaid_vends(self):
        electricity = electricity_product(self.env)
        if electricity and any(line.product_id == electricity and not line.prepaid_account_id for line in self.lines):
            raise UserError(self.env._("Electricity is sold with the Sell Electricity button, for a customer."))
        if any(line.prepaid_account_id and (line.qty <= 0 or line.refunded_orderline_id) for line in self.lines):
            # Energy on a card cannot be taken back by a POS refund: the meter has it.
            raise UserError(self.env._(
                "Electricity cannot be refunded at the Point of Sale: use Suspend and Refund on the customer."))
        made = self.env['prepaid.vend']    # sold or rewritten now: their card writes to queue
        for line in self.lines.filtered(lambda ln: ln.prepaid_account_id and not ln.prepaid_vend_id
                                        and not ln.prepaid_rewrite_vend_id):
            if line.prepaid_account_id._is_remote():
                line.prepaid_vend_id = line._prepaid_top_up()
                continue
            vend = line.prepaid_account_id._vend(
                line.prepaid_method or 'energy', to_decimal(line.prepaid_quantity),
                client_request_id=f'pos-line-{line.uuid or line.id}', channel=line._prepaid_channel(),
                extra_vals={'pos_order_line_id': line.id})
            line._check_prepaid_price(vend.amount_due, vend.account_id)
            line.prepaid_vend_id = vend
            made |= vend
        for line in self.lines.filtered(lambda ln: ln.prepaid_rewrite_vend_id and not ln.prepaid_operation_id):
            vend = line.prepaid_rewrite_vend_id
            if vend.account_id != line.prepaid_account_id:
                raise UserError(self.env._("The rewritten vend is not of this line's customer."))
            operation = vend._rewrite(
                line.prepaid_method or 'energy', to_decimal(line.prepaid_quantity),
                client_request_id=f'pos-line-{line.uuid or line.id}',
                operation_vals={'pos_order_line_id': line.id})
            line._check_prepaid_price(operation.amount_after - operation.amount_before, vend.account_id)
            line.write({'prepaid_operation_id': operation.id, 'prepaid_vend_id': vend.id})
            made |= vend
        # A paid order is never refused for its card write: without a paired bridge the vend
        # waits for its write, which any till or the backend can make.
        bridge = self.config_id.prepaid_bridge_id
        if bridge.state == 'paired':
            for vend in made.filtered(lambda v: v.account_id.card_id):
                vend._queue_card_write(bridge)
