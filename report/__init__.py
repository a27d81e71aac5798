from . import prepaid_vend_receipt
