from odoo import api, models


class PrepaidQueryListReport(models.AbstractModel):
    """A printed query list (customers, vends, operations, write-backs, suspicious customers):
    the selected rows as the list shows them, and the totals of `_query_totals` summed in SQL
    (one `_read_group`). Each list report below only names its model and its totals."""
    _name = 'prepaid.query.list.report'
    _description = 'Printed Query List'
    _query_model = None
    _query_totals = ()

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env[self._query_model].browse(docids)
        totals = {}
        if self._query_totals:
            sums = docs._read_group([('id', 'in', docs.ids)],
                                    aggregates=[f'{name}:sum' for name in self._query_totals])[0]
            totals = dict(zip(self._query_totals, sums))
        return {'doc_ids': docids, 'doc_model': self._query_model, 'docs': docs, 'totals': totals,
                'count': len(docs), 'currency': self.env.company.currency_id}


class ReportAccountList(models.AbstractModel):
    _name = 'report.prepaid_electricity.report_account_list'
    _inherit = 'prepaid.query.list.report'
    _description = 'Printed Customer List'
    _query_model = 'prepaid.account'


class ReportVendList(models.AbstractModel):
    _name = 'report.prepaid_electricity.report_vend_list'
    _inherit = 'prepaid.query.list.report'
    _description = 'Printed Vend List'
    _query_model = 'prepaid.vend'
    _query_totals = ('energy_bought', 'energy_net', 'amount_due')


class ReportOperationList(models.AbstractModel):
    _name = 'report.prepaid_electricity.report_operation_list'
    _inherit = 'prepaid.query.list.report'
    _description = 'Printed Operation List'
    _query_model = 'prepaid.operation'
    _query_totals = ('refund_energy', 'refund_amount')


class ReportWritebackList(models.AbstractModel):
    _name = 'report.prepaid_electricity.report_writeback_list'
    _inherit = 'prepaid.query.list.report'
    _description = 'Printed Write-back List'
    _query_model = 'prepaid.card.writeback'


class ReportSuspiciousList(models.AbstractModel):
    _name = 'report.prepaid_electricity.report_suspicious_list'
    _inherit = 'prepaid.query.list.report'
    _description = 'Printed Suspicious Customers'
    _query_model = 'prepaid.suspicious.customer'
    _query_totals = ('energy_consumed', 'energy_bought', 'energy_gap', 'amount_paid', 'vend_count')
