from . import prepaid_vend_receipt
from . import prepaid_reconciliation_report
