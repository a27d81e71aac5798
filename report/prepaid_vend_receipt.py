from odoo import api, models

from ..tools import count_print


class ReportVendReceipt(models.AbstractModel):
    """A vend has one receipt: the first print is the original, every later print says it is
    a copy and keeps the original number. A rewritten vend's receipt shows its last rewrite
    (what was paid before, the new amount, the difference, who settled it and where) instead
    of the original sale's tendered money."""
    _name = 'report.prepaid_electricity.report_vend_receipt'
    _description = 'Electricity Purchase Receipt'

    @api.model
    def _get_report_values(self, docids, data=None):
        vends = self.env['prepaid.vend'].browse(docids)
        copies = count_print(vends, 'receipt_print_count')
        return {'doc_ids': docids, 'doc_model': 'prepaid.vend', 'docs': vends, 'copies': copies,
                'rewrites': self._rewrites(vends)}

    @api.model
    def _rewrites(self, vends):
        """The last rewrite of each rewritten vend, as its receipt shows it."""
        operations = self.env['prepaid.operation'].search(
            [('vend_id', 'in', vends.filtered('rewrite_count').ids), ('kind', '=', 'rewrite')], order='id desc')
        rewrites = {}
        for operation in operations:
            if operation.vend_id.id in rewrites:
                continue
            order = operation.pos_order_line_id.order_id    # else settled in the backend's journal
            difference = operation.currency_id.round(operation.amount_after - operation.amount_before)
            rewrites[operation.vend_id.id] = {
                'operation': operation,
                'difference': abs(difference),
                'pays_back': difference < 0,
                'settled_at': order.name or operation.payment_id.journal_id.name or '',
            }
        return rewrites
