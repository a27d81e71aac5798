import datetime as dt
from decimal import Decimal

from odoo.tests import TransactionCase, new_test_user

from head_end.backend import (
    CommandResult,
    ConcentratorStatus,
    CurrentReading,
    DailyReading,
    LogEntry,
    RelayStatus,
    Report,
)

from .common import MANAGER, OPERATOR

ASSET = '17000405'
METER = '170004050001'
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def freeze(day, total, sharp='0', peak='0', flat='0', valley='0', meter=METER):
    """The daily freeze that closes `day` (made at 00:00 the next day, Shanghai time)."""
    freeze_time = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return DailyReading(meter=meter, day=day, freeze_time=freeze_time, read_time=freeze_time + dt.timedelta(minutes=5),
                        total=Decimal(total), sharp=Decimal(sharp), peak=Decimal(peak), flat=Decimal(flat),
                        valley=Decimal(valley))


def current(total, sharp='0', peak='0', flat='0', valley='0', at=None, meter=METER):
    return CurrentReading(meter=meter, read_time=at or dt.datetime.now(dt.UTC), total=Decimal(total),
                          sharp=Decimal(sharp), peak=Decimal(peak), flat=Decimal(flat), valley=Decimal(valley))


def relay(state, keep_power=False, meter=METER):
    return RelayStatus(meter=meter, relay=state, keep_power=keep_power, read_time=dt.datetime.now(dt.UTC))


def result(command, state, reason='', sent=True):
    return CommandResult(id=str(command.id), meter=command.meter_id.number, action=command.action, state=state,
                         at=dt.datetime.now(dt.UTC), reason=reason, sent=sent)


def online(asset=ASSET, is_online=True):
    now = dt.datetime.now(dt.UTC)
    return ConcentratorStatus(asset=asset, online=is_online, at=now, last_heartbeat=now, peer='127.0.0.1:50000',
                              detail='login')


def log(kind='daily', outcome='ok', meter=METER, detail=''):
    return LogEntry(at=dt.datetime.now(dt.UTC), concentrator=ASSET, meter=meter, kind=kind, result=outcome,
                    detail=detail)


class RemoteFixture:
    """One property with a Q/GDW 1376.1 concentrator and a remote meter on a time-of-use
    tariff (sharp 1.20, peak 1.00, flat 0.80, valley 0.40), its tenant's account (alarms at
    20 and 10 yuan, overdraft 0) and a paired head-end (a mixin of TransactionCase or HttpCase)."""

    @classmethod
    def setup_remote(cls, env):
        cls.operator = new_test_user(env, login='re_operator', groups=f'base.group_user,{OPERATOR}')
        cls.manager = new_test_user(env, login='re_manager', groups=f'base.group_user,{MANAGER}')
        cls.station = env['prepaid.station'].create({'name': 'Apartments', 'code': '777001'})
        cls.tariff = env['prepaid.tariff'].create({
            'name': 'TOU', 'kind': 'tou', 'price': 0.8, 'price_sharp': 1.2, 'price_peak': 1.0,
            'price_flat': 0.8, 'price_valley': 0.4})
        cls.meter_type = env['prepaid.meter.type'].create({
            'name': 'DDSY remote', 'delivery': 'remote', 'credit_unit': 'money'})
        cls.head_end = env['prepaid.card.bridge'].create({'name': 'Head-end', 'service': 'head_end'})
        cls.secret = cls.head_end._pair(cls.head_end.pairing_code, 'he-1', 'head_end')['secret']
        cls.concentrator = env['prepaid.concentrator'].create({'asset_number': ASSET, 'name': 'Building 1'})
        cls.partner = env['res.partner'].create({'name': 'Tenant Wang', 'phone': '13900000001',
                                                 'email': 'wang@example.com'})
        cls.meter = env['prepaid.meter'].create({
            'number': METER, 'meter_type_id': cls.meter_type.id, 'concentrator_id': cls.concentrator.id,
            'rs485_port': 2, 'room': '101', 'start_reading': 100.0})
        cls.account = env['prepaid.account'].create({
            'partner_id': cls.partner.id, 'meter_id': cls.meter.id, 'tariff_id': cls.tariff.id,
            'station_id': cls.station.id})
        cls.journal = env['account.journal'].search([
            *env['account.journal']._check_company_domain(env.company), ('type', '=', 'cash')], limit=1)

    def report(self, **lists):
        """Send the head-end's report (Report's lists as keyword arguments) through JSON, as
        the server receives it; everything is flushed, as at the commit of the request."""
        self.head_end._head_end_report(Report(**lists).to_json())
        self.env.flush_all()
        self.env.invalidate_all()

    def top_up(self, amount, account=None, user=None):
        account = (account or self.account).with_user(user or self.operator)
        vend = account._top_up(Decimal(amount), self.journal)
        self.env.flush_all()
        return vend

    def reconciliation_differences(self):
        """The reconciliation's rows that differ, once the consumption is posted (the cron's work,
        triggered by each billing)."""
        self.env['prepaid.meter.bill']._post_consumption()
        self.env.flush_all()
        self.env.invalidate_all()   # the report's rows are numbered anew at each search
        rows = self.env['prepaid.reconciliation.report'].search([])
        return {(row.source, str(row.date)): round(row.difference, 2) for row in rows if round(row.difference, 2)}


class RemoteCommon(RemoteFixture, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_remote(cls.env)
