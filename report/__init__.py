from . import prepaid_vend_receipt
from . import prepaid_refund_slip
from . import prepaid_reconciliation_report
from . import prepaid_sales_report
from . import prepaid_sales_report_pdf
from . import prepaid_query_list_report
