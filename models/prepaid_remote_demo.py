from datetime import datetime, time, timedelta

import pytz

from odoo import api, models

from ..engine.remote_billing import Registers


class PrepaidMeter(models.Model):
    _inherit = 'prepaid.meter'

    @api.model
    def _demo_installed_days_ago(self, meter_ids, days):
        """Demo data helper: these remote meters were installed `days` days ago at 00:00 of the
        meters' clock (a head-end's default time zone) at zero registers, and have not been
        read since. That midnight is their base: the head-end's first work asks for the daily
        freezes of those `days` days, which `head-end emulate --history DAYS` gives its virtual
        meters (scripts/run.sh)."""
        tz = pytz.timezone(self.env['prepaid.card.bridge'].default_get(['meter_tz']).get('meter_tz') or 'UTC')
        installed = datetime.now(tz).date() - timedelta(days=days)
        at = tz.localize(datetime.combine(installed, time())).astimezone(pytz.utc).replace(tzinfo=None)
        for meter in self.browse(meter_ids):
            # the freeze at that midnight closes the day before
            meter._take_registers(Registers(total=0), at, installed - timedelta(days=1))


class PrepaidAccount(models.Model):
    _inherit = 'prepaid.account'

    @api.model
    def _demo_top_up(self, account_ids, amount):
        """Demo data helper: a top-up paid in cash at the counter, as an operator makes it with
        Top Up (the vend and its payment in the station's cash journal), so the day reconciles."""
        for account in self.browse(account_ids):
            self.env['prepaid.account.top.up'].create({'account_id': account.id, 'amount': amount}).action_confirm()
