from odoo import api, models


class ReportSales(models.AbstractModel):
    """The PDF of the sales report wizard: it formats `_get_report_data()`, the same data the
    XLSX export writes."""
    _name = 'report.prepaid_electricity.report_sales'
    _description = 'Electricity Sales Report'

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env['prepaid.sales.report.print'].browse(docids)
        return {
            'doc_ids': docids, 'doc_model': 'prepaid.sales.report.print', 'docs': wizards,
            'reports': {wizard.id: wizard._get_report_data() for wizard in wizards},
            # wide tables (twelve months, one column per payment method) print landscape
            'data_report_landscape': any(wizard.report_kind in ('yearly', 'operator') for wizard in wizards),
        }
