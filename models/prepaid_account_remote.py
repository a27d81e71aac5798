from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import money, remote_billing
from ..tools import to_decimal
from .prepaid_meter_command import PENDING_STATES


class PrepaidAccount(models.Model):
    """The remote-meter side of a customer account: its meter is read every day and each day
    is billed against the money balance (`money_balance`), which top-ups raise; two alarm
    thresholds warn the tenant once each, and below the overdraft limit the meter is tripped
    automatically, then closed again by the top-up that brings the balance back."""
    _inherit = 'prepaid.account'

    delivery = fields.Selection(related='meter_id.delivery', store=True, string='Credit Delivery')
    alarm_threshold_1 = fields.Monetary(
        default=20.0, tracking=True,
        help="预充值1: below this balance the tenant is warned once (SMS, and e-mail when known).")
    alarm_threshold_2 = fields.Monetary(
        default=10.0, tracking=True,
        help="预充值2: below this balance the tenant is warned a second time.")
    overdraft_limit = fields.Monetary(
        default=0.0, tracking=True,
        help="透支值: how far below zero the balance may go before the meter is tripped automatically.")
    settlement_method = fields.Selection([('cash', 'Cash'), ('bank', 'Bank')], default='cash', required=True,
                                         help="How a move-out settlement pays back or collects the balance.")
    alarm_level_notified = fields.Integer(
        readonly=True, help="The alarms already sent since the balance was last above threshold 1 (0, 1 or 2).")
    relay_state = fields.Selection(related='meter_id.relay_state')
    keep_power = fields.Boolean(related='meter_id.keep_power')
    auto_trip = fields.Boolean(related='meter_id.auto_trip', readonly=False)
    meter_online = fields.Boolean(related='meter_id.is_online', string='Meter Online')
    bill_ids = fields.One2many('prepaid.meter.bill', 'account_id', string='Bills')
    alarm_state = fields.Selection(
        [('ok', 'OK'), ('alarm_1', 'Below Threshold 1'), ('alarm_2', 'Below Threshold 2'),
         ('overdraft', 'Below the Overdraft Limit')], compute='_compute_alarm_state', search='_search_alarm_state',
        string='Balance State')

    def _auto_init(self):
        result = super()._auto_init()
        # a remote account's balance is rewritten by every day's bill: see prepaid.meter._auto_init
        self.env.cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 80)", SQL.identifier(self._table)))
        return result

    @api.depends('money_balance', 'alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit')
    def _compute_alarm_state(self):
        for account in self:
            balance = to_decimal(account.money_balance)
            if balance < -to_decimal(account.overdraft_limit):
                account.alarm_state = 'overdraft'
            else:
                level = remote_billing.alarm_level(balance, to_decimal(account.alarm_threshold_1),
                                                   to_decimal(account.alarm_threshold_2))
                account.alarm_state = ('ok', 'alarm_1', 'alarm_2')[level]

    @api.model
    def _alarm_state_sql(self, alias):
        """`alarm_state` as an SQL expression on the accounts' table `alias`: the same rules as
        `_compute_alarm_state`, so that lists and counts (the dashboard's) filter on it in the
        database."""
        balance, first, second, overdraft = (
            SQL('COALESCE(%s, 0)', SQL.identifier(alias, name))
            for name in ('money_balance', 'alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit'))
        return SQL("CASE WHEN %(balance)s < -%(overdraft)s THEN 'overdraft' WHEN %(balance)s < %(second)s "
                   "THEN 'alarm_2' WHEN %(balance)s < %(first)s THEN 'alarm_1' ELSE 'ok' END",
                   balance=balance, first=first, second=second, overdraft=overdraft)

    def _search_alarm_state(self, operator, value):
        if operator != 'in':
            return NotImplemented
        self.flush_model(['money_balance', 'alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit'])
        states = tuple(state for state in value if state)
        if not states:
            return Domain.FALSE
        return Domain.custom(to_sql=lambda model, alias, query: SQL(
            '%s IN %s', model._alarm_state_sql(alias), states))

    @api.constrains('alarm_threshold_1', 'alarm_threshold_2', 'overdraft_limit')
    def _check_thresholds(self):
        for account in self:
            if account.alarm_threshold_2 > account.alarm_threshold_1 or account.overdraft_limit < 0:
                raise ValidationError(self.env._(
                    "Alarm threshold 2 must not be above threshold 1, and the overdraft limit not below zero."))

    def _is_remote(self):
        self.ensure_one()
        return self.meter_id.delivery == 'remote'

    def _check_remote_account(self):
        self.ensure_one()
        if not self._is_remote():
            raise UserError(self.env._(
                "Customer %(number)s has an IC card meter: sell electricity onto the card instead.",
                number=self.number))
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can be topped up or settled."))

    # ------------------------------------------------------------------ top-up
    def _check_top_up(self, amount):
        """The rules of a top-up (an active remote account, an amount above zero in whole
        cents), checked before it is quoted or made; returns `amount` as a Decimal."""
        self._check_remote_account()
        amount = to_decimal(amount, 6)
        if amount <= 0 or not money.has_places(amount, money.MONEY_QUANTUM):
            raise UserError(self.env._("Top up an amount above zero, in whole cents."))
        return amount

    def _top_up(self, amount, journal=None, client_request_id=None, channel='backend', extra_vals=None):
        """Top up (充值) this remote account's money balance by `amount` (Decimal): a vend of kind
        top-up, paid in `journal` (backend, kiosk) or by the POS order. Idempotent on
        `client_request_id`. A top-up that brings the balance back closes a meter the strategy
        tripped. Returns the vend."""
        self.ensure_one()
        served = self._lock_for_request(client_request_id)
        if served:
            return served
        amount = self._check_top_up(amount)
        before = to_decimal(self.money_balance)
        vend = self.env['prepaid.vend'].create({
            'account_id': self.id, 'company_id': self.company_id.id, 'meter_id': self.meter_id.id,
            'station_id': self.station_id.id, 'tariff_id': self.tariff_id.id,
            'sequence': self.purchase_sequence + 1, 'method': 'money', 'kind': 'topup', 'state': 'credited',
            'amount_due': float(amount), 'energy_amount': float(amount), 'amount_paid': float(amount),
            'balance_before': float(before), 'balance_after': float(before + amount),
            'channel': channel, 'client_request_id': client_request_id, **(extra_vals or {}),
        })
        self.with_context(tracking_disable=True).write({
            'purchase_sequence': self.purchase_sequence + 1, 'money_balance': float(before + amount)})
        if journal:
            # sudo: operators take payments without being accountants; the vend is the authority
            vend.sudo()._post_payment(journal)
        self._apply_strategy()
        return vend

    # ------------------------------------------------------------------ billing and strategy
    def _period_energy(self):
        """The energy billed in the tariff's current period (tiered tariffs), as a Decimal."""
        self.ensure_one()
        return to_decimal(self.period_energy if self.period_key == self._current_period_key() else 0)

    def _apply_strategy(self):
        """Alarms once each, automatic trip and close, from the balance as it stands now; every
        decision goes to the strategy log."""
        # sudo: the strategy acts for whoever topped up or billed; operators may not queue
        # commands nor write the strategy log themselves
        Log = self.env['prepaid.strategy.log'].sudo()
        accounts = self.filtered(lambda a: a._is_remote() and a.state == 'active')
        pending = accounts._pending_actions()
        alarms, logs = [], []
        for account in accounts:
            meter = account.meter_id
            on_its_way = pending.get(meter.id, set())
            balance = to_decimal(account.money_balance)
            first, second = to_decimal(account.alarm_threshold_1), to_decimal(account.alarm_threshold_2)
            level = remote_billing.alarm_level(balance, first, second)
            notified = min(account.alarm_level_notified, level)   # a top-up re-arms the alarms
            for alarm in remote_billing.alarms_to_send(notified, balance, first, second):
                alarms.append((account, alarm, balance))
                notified = alarm
            if notified != account.alarm_level_notified:
                account.with_context(tracking_disable=True).alarm_level_notified = notified
            overdraft = to_decimal(account.overdraft_limit)
            relay_closed = meter.relay_state != 'open'
            if remote_billing.should_trip(balance, overdraft, relay_closed=relay_closed and 'trip' not in on_its_way,
                                          keep_power=meter.keep_power, auto_trip=meter.auto_trip):
                command = meter.sudo()._send_command('trip', False, 'strategy')
                logs.append({**account._strategy_log_vals('trip', balance), 'command_id': command.id})
            elif remote_billing.should_close(balance, overdraft, relay_closed=relay_closed,
                                             tripped_by_strategy=meter.tripped_by_strategy) \
                    and not on_its_way & {'close', 'close_allowed'}:
                command = meter.sudo()._send_command('close', False, 'strategy')
                logs.append({**account._strategy_log_vals('close', balance), 'command_id': command.id})
            elif balance >= -overdraft and 'trip' in on_its_way:
                # the money came back before the trip went out: it is not needed any more
                unsent = self.env['prepaid.meter.command'].sudo().search([
                    ('meter_id', '=', meter.id), ('action', '=', 'trip'), ('origin', '=', 'strategy'),
                    ('state', '=', 'queued'), ('attempts', '=', 0)])
                unsent.write({'state': 'cancelled', 'done_at': fields.Datetime.now(), 'cancel_reason': 'money_back'})
        Log.create(self._send_alarms(alarms) + logs)

    def _pending_actions(self):
        """{meter id: the actions of the commands on their way to it}, for all these accounts'
        meters in one query."""
        pending = {}
        for meter, action in self.env['prepaid.meter.command'].sudo()._read_group(
                [('meter_id', 'in', self.meter_id.ids), ('state', 'in', PENDING_STATES)], ['meter_id', 'action']):
            pending.setdefault(meter.id, set()).add(action)
        return pending

    def _strategy_log_vals(self, decision, balance):
        return {'account_id': self.id, 'meter_id': self.meter_id.id, 'company_id': self.company_id.id,
                'decision': decision, 'balance': float(balance)}

    def _send_alarms(self, alarms):
        """Queue the low-balance SMS of each (account, alarm level, balance) of `alarms` to its
        tenant's phone, and an e-mail when the tenant has one, all at once (one wake-up of the
        SMS queue); returns the strategy log's values saying what was queued for each."""
        sms_vals, mail_vals, logs = [], [], []
        for account, level, balance in alarms:
            partner = account.partner_id
            threshold = account.alarm_threshold_1 if level == 1 else account.alarm_threshold_2
            body = account.with_context(lang=partner.lang).env._(     # in the tenant's language
                "Customer %(number)s: your electricity balance is below %(threshold)s (now %(balance)s). "
                "Please top up.", number=account.number,
                threshold=money.money_text(to_decimal(threshold)), balance=money.money_text(balance))
            if partner.phone:
                sms_vals.append({'number': partner.phone, 'partner_id': partner.id, 'body': body})
            if partner.email:
                mail_vals.append({'email_to': partner.email,
                                  'subject': account.with_context(lang=partner.lang).env._("Low electricity balance"),
                                  'body_html': f'<p>{body}</p>', 'recipient_ids': [fields.Command.link(partner.id)],
                                  'auto_delete': False})
            logs.append({**account._strategy_log_vals(f'alarm_{level}', balance),
                         'sms_number': partner.phone or False, 'email_to': partner.email or False})
        # sudo: the strategy runs for the head-end or an operator; messages are queued, never sent here.
        # Nothing to queue, nothing created: creating SMS (even none) wakes the SMS queue's cron
        Sms, Mail = self.env['sms.sms'].sudo(), self.env['mail.mail'].sudo()
        sms = iter((Sms.create(sms_vals) if sms_vals else Sms).ids)
        mails = iter((Mail.create(mail_vals) if mail_vals else Mail).ids)
        for log in logs:
            log['sms_id'] = next(sms) if log['sms_number'] else False
            log['mail_id'] = next(mails) if log['email_to'] else False
        return logs

    # ------------------------------------------------------------------ move-out
    def _move_out_estimate(self):
        """The bill from the meter's last registers to its current registers (read now), and
        the balance that would be settled: a dict for the wizard (nothing is written)."""
        self.ensure_one()
        self._check_remote_account()
        meter = self.meter_id
        if not meter.current_read_at:
            raise UserError(self.env._("Read meter %(meter)s first: its current registers are not known yet.",
                                       meter=meter.number))
        if meter.billed_at and meter.current_read_at <= meter.billed_at:
            return {'bill': None, 'balance_after': to_decimal(self.money_balance)}
        vals = self.env['prepaid.meter.bill']._bill_vals(
            meter.id, self.id, self.company_id.id, self.tariff_id, self.tariff_id._to_engine(),
            to_decimal(meter.start_reading), meter._billed_registers(), meter.billed_at, meter.start_reading_passed,
            meter._current_registers(), meter.current_read_at, to_decimal(self.money_balance), self._period_energy())
        return {'bill': vals, 'balance_after': vals['balance_after']}

    def _move_out(self, journal, note=None):
        """Move-out (退租): bill up to the current reading, settle the balance out of or into
        `journal` (refund a credit, collect a debt), bring the account to zero and release
        the meter for the next tenant, whose account starts from this reading. Returns the
        settlement operation."""
        self.ensure_one()
        self._check_manager()
        self._lock_for_vend()
        estimate = self._move_out_estimate()
        if journal.type not in ('cash', 'bank') or journal.company_id != self.company_id:
            raise UserError(self.env._("Settlement journal %(journal)s is not a cash or bank journal of %(company)s.",
                                       journal=journal.display_name, company=self.company_id.name))
        meter = self.meter_id
        if estimate['bill']:
            Bill = self.env['prepaid.meter.bill']
            today = fields.Date.context_today(self)
            moves = Bill._consumption_moves({(self.company_id, today): estimate['bill']['amount']})
            Bill.create({**estimate['bill'], 'kind': 'move_out', 'day': today,
                         'move_id': moves.get((self.company_id, today))})
            meter._take_registers(meter._current_registers(), meter.current_read_at, meter.billed_day)
        balance = estimate['balance_after']
        payment = self.company_id._post_prepaid_payment(
            self.partner_id, -balance, journal,
            self.env._("Electricity move-out settlement, customer %(number)s", number=self.number))
        operation = self._record_operation(
            'settle', refund_amount=float(balance), amount_before=float(balance), amount_after=0.0,
            payment_id=payment.id, journal_id=journal.id, note=note)
        self._release_meter()
        self.write({'state': 'deactivated', 'money_balance': 0.0, 'alarm_level_notified': 0})
        return operation
