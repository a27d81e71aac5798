from datetime import datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from head_end.backend import Report

from ..tools import bulk
from .prepaid_meter_command import PENDING_STATES
from .prepaid_meter_reading import REGISTER_FIELDS

MAX_DAYS_BACK = 62          # DL/T 645 daily freezes: the last 62 days
DAILY_RETRY = timedelta(minutes=10)   # a meter asked for its freezes is not asked again before this


def _naive_utc(moment):
    return moment.astimezone(pytz.utc).replace(tzinfo=None) if moment else False


class PrepaidCardBridge(models.Model):
    """The server's side of a meter head-end (a bridge record of service 'head_end'): the work
    it is given at each poll and the reports it sends back (head_end.backend's JSON)."""
    _inherit = 'prepaid.card.bridge'

    meter_tz = fields.Selection(
        '_tz_get', string="Meters' Time Zone", default='Asia/Shanghai',
        help="The meters' clocks: a daily freeze at 00:00 there closes the day before.")
    concentrator_ids = fields.One2many('prepaid.concentrator', 'head_end_id', string='Concentrators')

    @api.model
    def _tz_get(self):
        return [(tz, tz) for tz in sorted(pytz.all_timezones, key=lambda tz: tz if not tz.startswith('Etc/') else '_')]

    # ------------------------------------------------------------------ work
    def _head_end_concentrators(self):
        self.ensure_one()
        return self.env['prepaid.concentrator'].search([
            ('company_id', '=', self.company_id.id), ('head_end_id', 'in', (self.id, False))])

    def _meters_today(self):
        return datetime.now(pytz.timezone(self.meter_tz or 'UTC')).date()

    def _head_end_work(self):
        """The head-end's work now (head_end.backend.Work as JSON): its concentrators and their
        remote meters, the daily freezes each meter still misses (up to 62 days back), the
        current registers and relay states asked for, and the relay commands on their way."""
        self.ensure_one()
        Command = self.env['prepaid.meter.command']
        Command._expire()
        concentrators = self._head_end_concentrators()
        meters = self.env['prepaid.meter'].search([('concentrator_id', 'in', concentrators.ids),
                                                   ('delivery', '=', 'remote')])
        today, now = self._meters_today(), fields.Datetime.now()
        by_concentrator = {c: [] for c in concentrators}
        reads, asked = [], self.env['prepaid.meter']
        for meter in meters:
            by_concentrator[meter.concentrator_id].append({
                'address': meter.number, 'port': meter.rs485_port, 'baud': int(meter.baud or 2400),
                'parity': meter.parity or 'even'})
            # the days since the last one taken in, yesterday included (the first time: yesterday)
            missing = min((today - meter.billed_day).days - 1, MAX_DAYS_BACK) if meter.billed_day else 1
            if missing > 0 and not (meter.daily_asked_at and meter.daily_asked_at > now - DAILY_RETRY):
                # oldest first: a report sent halfway through never carries a later day before an
                # earlier one, which would then be taken in with nothing billed for it alone
                reads.append({'meter': meter.number, 'kind': 'daily', 'days': list(range(missing, 0, -1))})
                asked |= meter
            if meter.wants_current_read:
                reads.append({'meter': meter.number, 'kind': 'current', 'days': []})
            if meter.wants_relay_read or not meter.relay_state:
                reads.append({'meter': meter.number, 'kind': 'relay', 'days': []})
        asked.daily_asked_at = now
        commands = Command.search([('meter_id', 'in', meters.ids), ('state', 'in', PENDING_STATES)], order='id')
        return {
            'concentrators': [{'asset': c.asset_number, 'protocol': c.protocol, 'host': c.host or '',
                               'port': c.port or 0, 'meters': by_concentrator[c]} for c in concentrators],
            'reads': reads,
            'commands': commands._to_work(),
        }

    # ------------------------------------------------------------------ reports
    def _head_end_report(self, data):
        """Take in a head-end's report (head_end.backend.Report as JSON; ValueError when it is
        not one): online states, daily readings (one per meter and day, each billed once),
        current registers, relay states, command results and the collection log. Unknown
        meters and concentrators are logged, never an error: the report is not sent again."""
        self.ensure_one()
        report = Report.from_json(data)
        company = self.company_id
        concentrators = {c.asset_number: c for c in self._head_end_concentrators()}
        addresses = {item.meter for item in report.daily + report.current + report.relays + report.commands}
        addresses |= {item.address for item in report.meters} | {item.meter for item in report.log if item.meter}
        meters = self.env['prepaid.meter']._remote_by_number(addresses, company)
        for status in report.concentrators:
            concentrator = concentrators.get(status.asset)
            if concentrator:
                concentrator.write({'is_online': status.online, 'last_status_at': _naive_utc(status.at),
                                    'last_heartbeat': _naive_utc(status.last_heartbeat) or concentrator.last_heartbeat,
                                    'peer': status.peer or concentrator.peer, 'status_detail': status.detail})
        for status in report.meters:
            meter = meters.get(status.address)
            if meter and meter.is_online != status.online:
                meter.write({'is_online': status.online, 'online_changed_at': _naive_utc(status.at)})
        for current in report.current:
            meter = meters.get(current.meter)
            if meter:
                meter.write({'current_read_at': _naive_utc(current.read_time), 'wants_current_read': False,
                             'is_online': True,
                             **{f'current_{name}': float(getattr(current, name)) for name in REGISTER_FIELDS}})
        for relay in report.relays:
            meter = meters.get(relay.meter)
            if meter:
                vals = {'relay_state': relay.relay, 'keep_power': relay.keep_power,
                        'relay_read_at': _naive_utc(relay.read_time), 'wants_relay_read': False}
                if relay.relay == 'closed':
                    vals['tripped_by_strategy'] = False
                meter.write({k: v for k, v in vals.items() if meter[k] != v})
        accounts = self.env['prepaid.account']
        commands = self.env['prepaid.meter.command'].browse(
            [int(r.id) for r in report.commands if r.id.isdigit()]).exists()
        commands = {str(c.id): c for c in commands if c.meter_id.company_id == company}
        for result in report.commands:
            command = commands.get(result.id)
            if command:
                command._apply_result(result)
                accounts |= command.meter_id.account_id
        readings = self._store_readings(report.daily, meters)
        bills = self.env['prepaid.meter.bill']._bill_readings(readings)    # the strategy of the billed follows
        # a confirmed trip after the balance came back, a relay found open: decide again
        (accounts - bills.account_id)._apply_strategy()
        self._store_log(report.log, concentrators, meters)
        return readings

    def _store_readings(self, daily, meters):
        """The new daily readings of `daily` (one statement): a (meter, day) already stored, or
        twice in the report, is stored once."""
        Reading = self.env['prepaid.meter.reading']
        rows = [(meters[item.meter].id, meters[item.meter].account_id.id or None, self.company_id.id, item.day,
                 _naive_utc(item.freeze_time), _naive_utc(item.read_time),
                 *[getattr(item, name) for name in REGISTER_FIELDS])
                for item in daily if item.meter in meters]
        inserted = bulk.insert_rows(
            Reading, ['meter_id', 'account_id', 'company_id', 'day', 'freeze_time', 'read_time', *REGISTER_FIELDS],
            rows, on_conflict=SQL('(meter_id, day) DO NOTHING'))
        readings = Reading.browse([reading_id for (reading_id,) in inserted])
        readings.meter_id.filtered(lambda m: not m.is_online).write({'is_online': True})
        return readings

    def _store_log(self, entries, concentrators, meters):
        self.env['prepaid.collection.log'].create([{
            'date': _naive_utc(entry.at), 'head_end_id': self.id, 'company_id': self.company_id.id,
            'concentrator_id': concentrators[entry.concentrator].id if entry.concentrator in concentrators else False,
            'concentrator_asset': entry.concentrator,
            'meter_id': meters[entry.meter].id if entry.meter in meters else False,
            'meter_address': entry.meter, 'kind': entry.kind, 'result': entry.result, 'detail': entry.detail,
            'frames': '\n'.join(f'{frame.at:%H:%M:%S} {frame.direction} {frame.protocol}: {frame.hex}'
                                for frame in entry.frames) or False,
        } for entry in entries])
