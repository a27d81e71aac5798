from odoo import api, models


class ReportVendReceipt(models.AbstractModel):
    """A vend has one receipt: the first print is the original, every later print says it is
    a copy and keeps the original number."""
    _name = 'report.prepaid_electricity.report_vend_receipt'
    _description = 'Electricity Purchase Receipt'

    @api.model
    def _get_report_values(self, docids, data=None):
        vends = self.env['prepaid.vend'].browse(docids)
        copies = {vend.id: vend.receipt_print_count > 0 for vend in vends}
        for vend in vends:
            # sudo: printing counts the print on a read-only record
            vend.sudo().receipt_print_count += 1
        return {'doc_ids': docids, 'doc_model': 'prepaid.vend', 'docs': vends, 'copies': copies}
