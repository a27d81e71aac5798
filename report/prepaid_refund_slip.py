from odoo import api, models
from odoo.exceptions import UserError

from ..tools import count_print


class ReportRefundSlip(models.AbstractModel):
    """A suspension and refund has one slip: the first print is the original, every later
    print says it is a copy and keeps the slip number."""
    _name = 'report.prepaid_electricity.report_refund_slip'
    _description = 'Electricity Refund Slip'

    @api.model
    def _get_report_values(self, docids, data=None):
        operations = self.env['prepaid.operation'].browse(docids)
        if operations.filtered(lambda operation: operation.kind != 'refund'):
            raise UserError(self.env._("Only a suspension and refund has a refund slip."))
        return {'doc_ids': docids, 'doc_model': 'prepaid.operation', 'docs': operations,
                'copies': count_print(operations, 'slip_print_count')}
