from odoo import http
from odoo.http import content_disposition, request


class SalesReportController(http.Controller):

    @http.route('/prepaid_electricity/sales_report/<int:wizard_id>/xlsx', type='http', auth='user', readonly=True)
    def download_xlsx(self, wizard_id):
        """The XLSX file of a sales report wizard; the wizard builds it and checks access."""
        wizard = request.env['prepaid.sales.report.print'].browse(wizard_id).exists()
        if not wizard:
            raise request.not_found()
        content = wizard._render_xlsx()
        return request.make_response(content, headers=[
            ('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
            ('Content-Disposition', content_disposition(f'{wizard.report_filename}.xlsx')),
        ])
