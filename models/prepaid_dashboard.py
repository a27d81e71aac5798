import datetime

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.misc import babel_locale_parse

from ..tools import MANAGER_GROUP, utc_bounds

TREND_MONTHS = 12


class PrepaidDashboard(models.AbstractModel):
    """The station's dashboard (client action `prepaid_electricity.dashboard`): the sales
    figures come from one `_read_group` each, under the user's access rights and record rules.
    Money figures and suspicious customers are for managers; operators get None for them."""
    _name = 'prepaid.dashboard'
    _description = 'Vending Dashboard'

    @api.model
    def _sales_domain(self, date_from, date_to):
        """Paid sales (not meter-replacement credits, not cancelled) of local days date_from..date_to."""
        start, end = utc_bounds(self.env, date_from, date_to)
        return [('kind', '=', 'sale'), ('state', '!=', 'cancelled'),
                ('date', '>=', fields.Datetime.to_string(start)), ('date', '<', fields.Datetime.to_string(end))]

    @api.model
    def _periods(self):
        today = fields.Date.context_today(self)
        month_start = today.replace(day=1)
        return today, month_start, month_start - relativedelta(months=TREND_MONTHS - 1)

    @api.model
    def get_data(self):
        """Everything the dashboard shows, in one call."""
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        money = (lambda amount: amount) if is_manager else (lambda amount: None)
        # _read_group buckets months in the context's time zone: make it the user's.
        Vend = self.env['prepaid.vend'].with_context(tz=self.env.tz.zone)
        today, month_start, trend_start = self._periods()
        aggregates = ['energy_bought:sum', 'amount_due:sum', '__count']

        [(energy, amount, count)] = Vend._read_group(self._sales_domain(today, today), aggregates=aggregates)
        monthly = {
            month.strftime('%Y-%m'): (energy_month, amount_month, count_month)
            for month, energy_month, amount_month, count_month in Vend._read_group(
                self._sales_domain(trend_start, today), ['date:month'], aggregates)}
        months = []
        locale = babel_locale_parse(self.env.lang or 'en_US')
        for offset in range(TREND_MONTHS):
            first = trend_start + relativedelta(months=offset)
            key = first.strftime('%Y-%m')
            energy_month, amount_month, count_month = monthly.get(key, (0.0, 0.0, 0))
            months.append({'key': key, 'label': self._month_label(first, locale), 'energy': energy_month,
                           'amount': money(amount_month), 'count': count_month})
        areas = [
            {'id': area.id, 'name': area.display_name or self.env._("No area"), 'energy': energy_area,
             'amount': money(amount_area), 'count': count_area}
            for area, energy_area, amount_area, count_area in Vend._read_group(
                self._sales_domain(month_start, today), ['area_id'], aggregates, order='energy_bought:sum desc')]
        suspicious = None
        if is_manager:
            suspicious = self.env['prepaid.suspicious.query']._count_for_company(self.env.company)
        return {
            'is_manager': is_manager,
            'currency_id': self.env.company.currency_id.id,
            'today': {'date': fields.Date.to_string(today), 'energy': energy, 'amount': money(amount),
                      'count': count},
            'to_write': Vend.search_count([('state', '=', 'to_write')]),
            'suspicious': suspicious,
            'months': months,
            'areas': areas,
        }

    @api.model
    def _month_label(self, first, locale):
        # the locale's own month-and-year form: "Jan 2026", "2026年1月", never "1 2026"
        return format_skeleton('yMMM', first, locale=locale)

    @api.model
    def action_open(self, figure, key=None):
        action = self._figure_action(figure, key)
        # The web client reads `views`, which only ir.actions records and button results (made
        # complete by the web controller) have: give it to the actions built here too.
        if not action.get('views'):
            action['views'] = [(False, mode) for mode in action.get('view_mode', 'list,form').split(',')]
        return action

    @api.model
    def _figure_action(self, figure, key=None):
        """The list behind a figure of the dashboard: `figure` is 'today', 'to_write',
        'month' (key 'YYYY-MM'), 'area' (key: area id or False, this month) or 'suspicious'."""
        today, month_start, _trend_start = self._periods()
        if figure == 'to_write':
            return self.env['ir.actions.act_window']._for_xml_id('prepaid_electricity.prepaid_vend_action_to_write')
        if figure == 'suspicious':
            if not self.env.user.has_group(MANAGER_GROUP):
                raise AccessError(self.env._("Only a vending manager may see suspicious customers."))
            query = self.env['prepaid.suspicious.query'].create({})
            query._compute_results()
            return query._action_view_results()
        if figure == 'today':
            domain, name = self._sales_domain(today, today), self.env._("Today's Sales")
        elif figure == 'month':
            first = datetime.date.fromisoformat(f'{key}-01')
            domain = self._sales_domain(first, first + relativedelta(months=1, days=-1))
            name = self.env._("Sales of %(month)s", month=key)
        elif figure == 'area':
            domain = [*self._sales_domain(month_start, today), ('area_id', '=', key or False)]
            name = self.env._("Sales of This Month by Area")
        else:
            raise ValueError(figure)
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.vend', 'name': name,
            'views': [(False, 'list'), (False, 'pivot'), (False, 'graph'), (False, 'form')],
            'domain': domain, 'context': {'create': False},
        }
