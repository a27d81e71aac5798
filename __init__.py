from . import models
from . import wizard
from . import controllers
from . import report


def _post_init_hook(env):
    """Give each company with a chart of accounts its prepaid electricity liability account
    and point the Electricity product at it."""
    env['res.company'].search([])._prepaid_sync_product_account()
