import datetime

from babel.dates import format_skeleton
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse

from ..tools import MANAGER_GROUP, utc_bounds

TREND_MONTHS = 12
BILL_DAYS = 14
# The remote meters the dashboard counts (a replaced meter is gone from its concentrator).
REMOTE_METERS = [('delivery', '=', 'remote'), ('state', '!=', 'replaced')]
# The remote accounts the balance figures count (as the Balances list).
REMOTE_ACCOUNTS = [('delivery', '=', 'remote'), ('state', '=', 'active')]
# a kiosk whose bridge has not asked for work for so long is shown offline (it polls every few seconds)
KIOSK_ONLINE_MINUTES = 2
ALARM_STATES = ['alarm_1', 'alarm_2']


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

    @api.readonly
    @api.model
    def get_data(self):
        """Everything the dashboard shows, in one call. Read-only (api.readonly): with a read
        replica configured (db_replica_host/port), the web client's call goes there, never to
        the primary that takes the vends."""
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
            'remote': self._remote_data(money, locale),
            'kiosks': self._kiosk_data(money),
        }

    @api.model
    def _kiosk_data(self, money):
        """Each kiosk's health: online (its bridge answered lately), in service, last sale, the
        cash in its cassette (notes stacked in its open session), paper and faults as the bridge
        last reported them, held cash waiting for an operator. Three queries for all kiosks."""
        kiosks = self.env['pos.config'].search([('prepaid_kiosk', '=', True)])
        if not kiosks:
            return []
        sessions = kiosks.current_session_id
        cash = dict(self.env['prepaid.kiosk.note']._read_group(
            [('session_id', 'in', sessions.ids)], ['config_id'], ['value:sum']))
        Transaction = self.env['prepaid.kiosk.transaction']
        last_sale = dict(Transaction._read_group(
            [('config_id', 'in', kiosks.ids), ('vend_id', '!=', False)], ['config_id'], ['create_date:max']))
        held = dict(Transaction._read_group(
            [('config_id', 'in', kiosks.ids), ('state', '=', 'held')], ['config_id'], ['__count']))
        online_since = fields.Datetime.now() - datetime.timedelta(minutes=KIOSK_ONLINE_MINUTES)
        recent = fields.Datetime.now() - datetime.timedelta(hours=1)
        rows = []
        for kiosk in kiosks:
            bridge = kiosk.prepaid_bridge_id
            devices = {name: device for name, device in (bridge.devices or {}).items() if isinstance(device, dict)}
            # what the devices report now, and the faults met during a purchase in the last hour
            faults = {(name, device.get('state')) for name, device in devices.items()
                      if device.get('state') not in (None, 'ok')}
            faults |= {(name, fault.get('code')) for name, fault in (kiosk.prepaid_kiosk_faults or {}).items()
                       if fields.Datetime.to_datetime(fault.get('at')) >= recent}
            rows.append({
                'id': kiosk.id, 'name': kiosk.name,
                'online': bool(bridge.last_contact and bridge.last_contact >= online_since),
                'in_service': kiosk.prepaid_kiosk_in_service,
                'last_sale': fields.Datetime.to_string(last_sale[kiosk]) if last_sale.get(kiosk) else False,
                'cash': money(cash.get(kiosk, 0.0)),
                'paper': self._device_state_label((devices.get('printer') or {}).get('state')),
                'faults': sorted(f'{self._device_label(name)}: {self._device_state_label(code)}'
                                 for name, code in faults),
                'held': held.get(kiosk, 0),
            })
        return rows

    @api.model
    def _remote_data(self, money, locale):
        """The remote meters' figures, or None when the company has no remote meter: four
        aggregate queries whatever the number of meters."""
        meters = self.env['prepaid.meter']._read_group(
            REMOTE_METERS, ['is_online', 'relay_state', 'keep_power'], ['__count'])
        if not meters:
            return None
        concentrators = dict(self.env['prepaid.concentrator']._read_group([], ['is_online'], ['__count']))
        alarm, overdraft = self._remote_balance_counts()
        today = fields.Date.context_today(self)
        first = today - datetime.timedelta(days=BILL_DAYS - 1)
        billed = {day: (energy, amount) for day, energy, amount in self.env['prepaid.meter.bill']._read_group(
            [('day', '>=', first), ('day', '<=', today)], ['day:day'], ['energy:sum', 'amount:sum'])}
        days = []
        for offset in range(BILL_DAYS):
            day = first + datetime.timedelta(days=offset)
            energy, amount = billed.get(day, (0.0, 0.0))
            days.append({'key': fields.Date.to_string(day), 'label': format_skeleton('MMMd', day, locale=locale),
                         'energy': energy, 'amount': money(amount)})
        return {
            'concentrators': sum(concentrators.values()),
            'concentrators_offline': concentrators.get(False, 0),
            'meters': sum(count for *_key, count in meters),
            'meters_offline': sum(count for is_online, _relay, _keep, count in meters if not is_online),
            'meters_tripped': sum(count for _online, relay, _keep, count in meters if relay == 'open'),
            'keep_power': sum(count for _online, _relay, keep_power, count in meters if keep_power),
            'alarm': alarm,
            'overdraft': overdraft,
            'days': days,
            'energy': round(sum(day['energy'] for day in days), 2),
            'amount': money(self.env.company.currency_id.round(sum(amount for _energy, amount in billed.values()))),
        }

    @api.model
    def _device_label(self, name):
        return {'acceptor': self.env._("Bill acceptor"), 'printer': self.env._("Receipt printer"),
                'terminal': self.env._("Bank card terminal"), 'reader': self.env._("Card reader")}.get(name, name)

    @api.model
    def _device_state_label(self, code):
        if not code:
            return ''
        return {
            'ok': self.env._("OK"), 'offline': self.env._("not answering"), 'jam': self.env._("jammed"),
            'cashbox_full': self.env._("cassette full"), 'cashbox_removed': self.env._("cassette removed"),
            'fraud': self.env._("fraud attempt"), 'rejected': self.env._("note rejected"),
            'paper_low': self.env._("paper low"), 'paper_out': self.env._("out of paper"),
        }.get(code, code)

    @api.model
    def _remote_balance_counts(self):
        """The active remote accounts below an alarm threshold, and below the overdraft limit
        (prepaid.account's alarm_state, computed in the database), in one query."""
        Account = self.env['prepaid.account']
        Account.flush_model(['money_balance', 'alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit'])
        query = Account._search(REMOTE_ACCOUNTS)
        query.order = None
        state = Account._alarm_state_sql(query.table)
        [(alarm, overdraft)] = self.env.execute_query(query.select(
            SQL('COUNT(*) FILTER (WHERE %s IN %s)', state, tuple(ALARM_STATES)),
            SQL("COUNT(*) FILTER (WHERE %s = 'overdraft')", state)))
        return alarm, overdraft

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
    def _remote_figures(self):
        """The remote figures' lists: figure -> (action of prepaid_electricity, name, domain);
        each domain counts what the figure counts."""
        return {
            'concentrators_offline': ('prepaid_concentrator_action', self.env._("Offline Concentrators"),
                                      [('is_online', '=', False)]),
            'meters_offline': ('prepaid_meter_action_remote', self.env._("Offline Remote Meters"),
                               [*REMOTE_METERS, ('is_online', '=', False)]),
            'meters_tripped': ('prepaid_meter_action_remote', self.env._("Tripped Remote Meters"),
                               [*REMOTE_METERS, ('relay_state', '=', 'open')]),
            'keep_power': ('prepaid_meter_action_remote', self.env._("Remote Meters on Keep-Power"),
                           [*REMOTE_METERS, ('keep_power', '=', True)]),
            'alarm': ('prepaid_account_action_balance', self.env._("Balances Below an Alarm Threshold"),
                      [*REMOTE_ACCOUNTS, ('alarm_state', 'in', ALARM_STATES)]),
            'overdraft': ('prepaid_account_action_balance', self.env._("Balances Below the Overdraft Limit"),
                          [*REMOTE_ACCOUNTS, ('alarm_state', '=', 'overdraft')]),
        }

    @api.model
    def _list_action(self, xmlid, name, domain):
        """The window action `xmlid` of this module (its views), named `name` (the breadcrumb
        shows the display name) and showing `domain`."""
        action = self.env['ir.actions.act_window']._for_xml_id(f'prepaid_electricity.{xmlid}')
        return {**action, 'name': name, 'display_name': name, 'domain': domain, 'context': {'create': False}}

    @api.model
    def _figure_action(self, figure, key=None):
        """The list behind a figure of the dashboard: `figure` is 'today', 'to_write',
        'month' (key 'YYYY-MM'), 'area' (key: area id or False, this month), 'suspicious',
        one of `_remote_figures` or 'bills' (key: a day 'YYYY-MM-DD', or None: the last 14 days)."""
        today, month_start, _trend_start = self._periods()
        remote = self._remote_figures().get(figure)
        if remote:
            xmlid, name, domain = remote
            return self._list_action(xmlid, name, domain)
        if figure == 'bills':
            if key:
                domain, name = [('day', '=', key)], self.env._("Bills of %(day)s", day=key)
            else:
                first = fields.Date.to_string(today - datetime.timedelta(days=BILL_DAYS - 1))
                domain = [('day', '>=', first), ('day', '<=', fields.Date.to_string(today))]
                name = self.env._("Bills of the Last 14 Days")
            return self._list_action('prepaid_meter_bill_action', name, domain)
        if figure == 'kiosk':
            config = self.env['pos.config'].browse(int(key))
            return self._list_action('prepaid_kiosk_transaction_action',
                                     self.env._("Purchases at %(kiosk)s", kiosk=config.name),
                                     [('config_id', '=', config.id)])
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
