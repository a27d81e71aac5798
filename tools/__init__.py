"""Small helpers shared by the Odoo layer (no models here), one module per concern."""
from .dates import utc_bounds
from .groups import ADMIN_GROUP, MANAGER_GROUP, OPERATOR_GROUP
from .journals import company_cash_journal, default_cash_journal
from .levels import check_levels
from .precision import ENERGY_DIGITS, PRICE_DIGITS, to_decimal
from .printing import count_print
from .products import electricity_product
from .refusals import refusal_error
