from decimal import Decimal, InvalidOperation

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from ..tools import to_decimal

KIOSK_PAYMENT_TERMINAL = 'prepaid_kiosk'


class PosConfig(models.Model):
    """A self-service kiosk is a Point of Sale in kiosk mode: its own sessions (one per
    collection period, closed by the terminal settlement 清机), its cash and bank card payment
    methods, the card bridge of the kiosk PC that drives its card reader, bill acceptor,
    receipt printer and bank card terminal. The kiosk page (controllers/kiosk.py) holds no
    secret and decides nothing: it calls the `_kiosk_` methods here, as the kiosk's own user."""
    _inherit = 'pos.config'

    prepaid_kiosk = fields.Boolean(string='Self-Service Kiosk',
                                   help="This Point of Sale is an unattended electricity vending kiosk.")
    prepaid_kiosk_amounts = fields.Char(string='Money Presets', default='20,50,100,200',
                                        help="Amounts offered on the kiosk's screen, separated by commas.")
    prepaid_kiosk_energies = fields.Char(string='Energy Presets (kWh)', default='10,20,50,100')
    prepaid_kiosk_denominations = fields.Char(string='Accepted Notes', default='5,10,20,50,100',
                                              help="Bank notes the bill acceptor takes, separated by commas.")
    prepaid_kiosk_opens = fields.Float(string='Opens at', default=0.0)
    prepaid_kiosk_closes = fields.Float(string='Closes at', default=24.0)
    prepaid_kiosk_in_service = fields.Boolean(string='In Service', default=True)
    prepaid_kiosk_service_message = fields.Char(string='Out-of-Service Message', translate=True)
    prepaid_kiosk_cash_method_id = fields.Many2one(
        'pos.payment.method', string='Cash (Bill Acceptor)', domain="[('is_cash_count', '=', True)]")
    prepaid_kiosk_card_method_id = fields.Many2one(
        'pos.payment.method', string='Bank Card Terminal',
        domain=[('use_payment_terminal', '=', KIOSK_PAYMENT_TERMINAL)])
    prepaid_kiosk_url = fields.Char(string='Kiosk Address', compute='_compute_prepaid_kiosk_url')
    # the card now in the kiosk's reader, as read by the last read job
    prepaid_kiosk_read_job_id = fields.Many2one('prepaid.card.job', readonly=True, copy=False)
    prepaid_kiosk_account_id = fields.Many2one('prepaid.account', readonly=True, copy=False)
    prepaid_kiosk_read_error = fields.Char(readonly=True, copy=False)
    prepaid_kiosk_faults = fields.Json(readonly=True, copy=False)
    prepaid_kiosk_transaction_ids = fields.One2many('prepaid.kiosk.transaction', 'config_id')

    @api.depends('access_token', 'prepaid_kiosk')
    def _compute_prepaid_kiosk_url(self):
        base = self.env['ir.config_parameter'].sudo().get_param('web.base.url', '')
        for config in self:
            config.prepaid_kiosk_url = config.prepaid_kiosk and config.id and \
                f'{base}/prepaid/kiosk/{config.id}?access_token={config.access_token}' or False

    @api.constrains('prepaid_kiosk_amounts', 'prepaid_kiosk_energies', 'prepaid_kiosk_denominations',
                    'prepaid_kiosk_opens', 'prepaid_kiosk_closes')
    def _check_prepaid_kiosk(self):
        for config in self.filtered('prepaid_kiosk'):
            for name in ('prepaid_kiosk_amounts', 'prepaid_kiosk_energies', 'prepaid_kiosk_denominations'):
                config._kiosk_numbers(name)
            if not 0 <= config.prepaid_kiosk_opens < config.prepaid_kiosk_closes <= 24:
                raise ValidationError(self.env._("A kiosk opens before it closes, within the day (0 to 24)."))

    def _kiosk_numbers(self, field_name):
        text = self[field_name] or ''
        try:
            numbers = [Decimal(part.strip()) for part in text.split(',') if part.strip()]
        except InvalidOperation:
            numbers = [Decimal(-1)]
        if not numbers or any(number <= 0 for number in numbers):
            raise ValidationError(self.env._(
                "%(field)s must be positive numbers separated by commas, not %(value)s.",
                field=self._fields[field_name].get_description(self.env)['string'], value=text))
        return numbers

    # ------------------------------------------------------------------ administration
    def action_prepaid_kiosk_out_of_service(self):
        self.prepaid_kiosk_in_service = False

    def action_prepaid_kiosk_in_service(self):
        self.prepaid_kiosk_in_service = True

    def action_prepaid_kiosk_open(self):
        self.ensure_one()
        return {'type': 'ir.actions.act_url', 'url': self.prepaid_kiosk_url, 'target': 'new'}

    # ------------------------------------------------------------------ what the kiosk is
    def _kiosk_check(self):
        self.ensure_one()
        if not self.prepaid_kiosk:
            raise UserError(self.env._("%(pos)s is not a self-service kiosk.", pos=self.name))

    def _kiosk_bridge(self):
        self._kiosk_check()
        bridge = self.prepaid_bridge_id
        if bridge.state != 'paired':
            raise UserError(self.env._("The kiosk's card bridge is not paired: it is out of service."))
        return bridge

    def _kiosk_denominations(self):
        return self._kiosk_numbers('prepaid_kiosk_denominations')

    def _kiosk_denominations_text(self):
        return [str(value.quantize(Decimal('0.01'))) for value in self._kiosk_denominations()]

    def _kiosk_payment_method(self, payment):
        method = self.prepaid_kiosk_cash_method_id if payment == 'cash' else self.prepaid_kiosk_card_method_id
        if not method or method not in self.payment_method_ids:
            raise UserError(self.env._("This kiosk does not take this kind of payment."))
        return method

    def _kiosk_session(self):
        """The kiosk's open session, opened when there is none (a kiosk never waits for a cashier)."""
        self._kiosk_check()
        session = self.current_session_id
        if session and session.state == 'opened':
            return session
        if not session:
            session = self.env['pos.session'].create({'config_id': self.id, 'user_id': self.env.uid})
        if session.state == 'opening_control':
            session.set_opening_control(0, '')
        return session

    def _kiosk_out_of_service_reason(self):
        """Why the kiosk sells nothing now, or ''."""
        self._kiosk_check()
        if not self.prepaid_kiosk_in_service:
            return self.prepaid_kiosk_service_message or self.env._(
                "This kiosk is out of service. Please go to a vending station.")
        if self._kiosk_settlement():
            return self.env._("The kiosk is being collected. Please wait a moment.")
        if self.prepaid_bridge_id.state != 'paired':
            return self.env._("This kiosk is out of service. Please go to a vending station.")
        now = fields.Datetime.context_timestamp(self.with_context(tz=self._kiosk_tz()), fields.Datetime.now())
        hour = now.hour + now.minute / 60
        if not self.prepaid_kiosk_opens <= hour < self.prepaid_kiosk_closes:
            return self.env._("The kiosk is open from %(opens)s to %(closes)s.",
                              opens=self._kiosk_time(self.prepaid_kiosk_opens),
                              closes=self._kiosk_time(self.prepaid_kiosk_closes))
        return ''

    def _kiosk_tz(self):
        """The kiosk's local time zone (its company's): its opening hours and slips use it."""
        return self.company_id.partner_id.tz or 'Asia/Shanghai'

    @staticmethod
    def _kiosk_time(value):
        return f'{int(value):02d}:{round((value % 1) * 60):02d}'

    @staticmethod
    def _kiosk_masked_name(name):
        """The customer's name as a kiosk shows it to whoever stands in front of it (张*三, J*** S****)."""
        parts = (name or '').split()
        if len(parts) > 1:
            return ' '.join(part[0] + '*' * (len(part) - 1) for part in parts)
        name = parts[0] if parts else ''
        if len(name) <= 1:
            return name
        if len(name) == 2:
            return name[0] + '*'
        return name[0] + '*' * (len(name) - 2) + name[-1]

    @staticmethod
    def _kiosk_slip_money(currency, amount):
        """An amount as a slip prints it: plain spaces and minus (the receipt printer's GB18030
        has no glyph for U+00A0 nor U+FEFF, which Odoo puts in formatted amounts)."""
        return currency.format(amount).replace('\xa0', ' ').replace('\ufeff', '')

    def _kiosk_device_fault(self, device, code):
        faults = dict(self.prepaid_kiosk_faults or {})
        faults[device] = {'code': code, 'at': fields.Datetime.to_string(fields.Datetime.now())}
        self.prepaid_kiosk_faults = faults

    def _kiosk_print(self, slip, transaction=None):
        return self.env['prepaid.card.job']._create_device_job(
            self._kiosk_bridge(), 'print', transaction or self.env['prepaid.kiosk.transaction'], {'slip': slip})

    # ------------------------------------------------------------------ quoting
    def _kiosk_quote(self, account, method, quantity):
        """The server's quote for the kiosk (a sale onto the card, or a remote top-up), or the
        translated reason it is refused."""
        if account.state != 'active':
            return {'error': self.env._("Your account cannot buy here. Please go to a vending station.")}
        if account.delivery == 'remote':
            try:
                amount = account._check_top_up(to_decimal(quantity, 6))
            except (UserError, ValueError) as refusal:
                return {'error': refusal.args[0] if isinstance(refusal, UserError)
                        else self.env._("Enter a valid number.")}
            rounding = account.currency_id.rounding
            return {'method': 'money', 'quantity': float(amount), 'is_top_up': True,
                    'amount_due': float_round(float(amount), precision_rounding=rounding),
                    'balance_before': account.money_balance,
                    'balance_after': float(to_decimal(account.money_balance) + amount)}
        if not account.card_id:
            return {'error': self.env._("Your card is not issued yet. Please go to a vending station.")}
        return self._prepaid_quote_request(account, method, quantity, account._quote)

    # ------------------------------------------------------------------ the card in the reader
    def _kiosk_card(self):
        """The card in the kiosk's reader and its customer: a new card is read once (through the
        bridge, as at a till: the meter's write-back is recorded), then remembered until it is
        pulled. The kiosk serves only that card: it never searches customers."""
        bridge = self.prepaid_bridge_id
        serial = bridge.card_serial if bridge.state == 'paired' else False
        job = self.prepaid_kiosk_read_job_id
        if not serial:
            if job or self.prepaid_kiosk_account_id:
                self.write({'prepaid_kiosk_read_job_id': False, 'prepaid_kiosk_account_id': False,
                            'prepaid_kiosk_read_error': False})
            return {'present': False, 'serial': '', 'reading': False, 'error': ''}
        # a card taken out and put back (into the meter, say) is read again: it changed
        inserted_again = bridge.card_changed_at and job and job.create_date < bridge.card_changed_at
        if not job or (job.serial and job.serial != serial) or job.state == 'expired' or inserted_again:
            job = self.env['prepaid.card.job']._create_for(bridge, 'read')
            job.serial = serial
            self.write({'prepaid_kiosk_read_job_id': job.id, 'prepaid_kiosk_account_id': False,
                        'prepaid_kiosk_read_error': False})
        elif job.state == 'done' and not self.prepaid_kiosk_account_id and not self.prepaid_kiosk_read_error:
            try:
                with self.env.cr.savepoint():
                    read = self.env['prepaid.card']._read_card(bytes.fromhex(job.raw or ''))
                account = read['account']
                if not account:
                    raise UserError(self.env._("This is not a purchase card."))
                self.prepaid_kiosk_account_id = account
            except UserError as refusal:
                # a write cut short (the card pulled out) leaves a card that no longer reads: the
                # customer it was issued to is known by its chip serial, and only a paid purchase
                # waiting for this card is offered (补售电), nothing new is sold on it
                account = self._kiosk_account_waiting_for(serial)
                if account:
                    self.prepaid_kiosk_account_id = account
                else:
                    self.prepaid_kiosk_read_error = refusal.args[0]
        elif job.state == 'failed' and not self.prepaid_kiosk_read_error:
            self.prepaid_kiosk_read_error = self.env._("The card could not be read: take it out and insert it again.")
        return {'present': True, 'serial': serial, 'reading': job.state in ('pending', 'sent'),
                'error': self.prepaid_kiosk_read_error or ''}

    def _kiosk_account_waiting_for(self, serial):
        account = self.env['prepaid.account'].search([('card_id.serial', '=', serial), ('state', '=', 'active')],
                                                     limit=1)
        return account if account and self._kiosk_unwritten_vend(account) else self.env['prepaid.account']

    def _kiosk_unwritten_vend(self, account):
        """The customer's paid purchase not on the card yet (being written, or its write failed)."""
        return self.env['prepaid.vend'].search(
            [('account_id', '=', account.id), ('state', '=', 'to_write')], order='id desc', limit=1)

    def _kiosk_waiting_vend(self, account, unwritten=None):
        """The customer's paid purchase that is not on the card and is not being written now
        (a write under way is not a failure yet): the kiosk offers to write it (补售电)."""
        vend = self._kiosk_unwritten_vend(account) if unwritten is None else unwritten
        job = vend and self.env['prepaid.card.job'].search([('vend_id', '=', vend.id)], order='id desc', limit=1)
        if job and job.state in ('pending', 'sent') and not job._expire_stale():
            return self.env['prepaid.vend']
        return vend

    def _kiosk_warnings(self, account, waiting):
        """The warnings a customer reads at the kiosk, worded for the customer (the till's are
        the operator's)."""
        _ = self.env._
        if account.state != 'active':
            return [_("Your account cannot buy here. Please go to a vending station.")]
        if waiting:
            return [_("Your purchase %(name)s is paid but not on your card yet: write it onto the card now.",
                      name=waiting.name)]
        if account.delivery == 'remote':
            return []
        if not account.card_id:
            return [_("Your card is not issued yet. Please go to a vending station.")]
        if account.is_credit_valid:
            return [_("The credit of your last purchase is still on the card: insert the card into your meter "
                      "first, then buy again.")]
        return []

    def _kiosk_customer(self, account):
        """What the kiosk shows the customer of the card in its reader: a masked name, the
        number, meter, tariff, balance, last purchase, every warning, and what can be done."""
        summary = self._prepaid_account_summary(account)
        # the till's summary has read it already: the customer's paid purchase not on the card
        unwritten = self.env['prepaid.vend'].browse(summary['waiting_vend_id'])
        waiting = self._kiosk_waiting_vend(account, unwritten)
        can_buy = account.state == 'active' and not unwritten and (
            account.delivery == 'remote' or (bool(account.card_id) and not account.is_credit_valid))
        last = summary['last_vend']
        return {
            'name': self._kiosk_masked_name(account.partner_id.name),
            'number': account.number, 'meter': account.meter_id.number, 'tariff': summary['tariff'],
            'price': summary['price'], 'balance': account.money_balance,
            'remote': account.delivery == 'remote', 'state': account.state,
            'last_purchase': last and {'name': last['name'], 'date': last['date'], 'energy': last['energy'],
                                       'amount': last['amount']} or False,
            'warnings': self._kiosk_warnings(account, waiting), 'can_buy': can_buy,
            'waiting_vend': waiting and {'id': waiting.id, 'name': waiting.name, 'energy': waiting.energy_bought,
                                         'amount': waiting.amount_due} or False,
        }

    # ------------------------------------------------------------------ the kiosk's calls
    def _kiosk_transaction(self, tid):
        """The purchase `tid`; without it (the page lost its id in a crash), the kiosk's purchase
        whose money is still on its way, so that the screen continues it."""
        Transaction = self.env['prepaid.kiosk.transaction']
        transaction = tid and Transaction.search([('config_id', '=', self.id), ('kiosk_tid', '=', str(tid))], limit=1)
        return transaction or Transaction.search(
            [('config_id', '=', self.id), ('state', 'in', ('cash_in', 'paying', 'paid'))], order='id desc', limit=1)

    def _kiosk_transaction_summary(self, transaction):
        if not transaction:
            return False
        vend = transaction.vend_id
        return {
            'tid': transaction.kiosk_tid, 'reference': transaction.reference, 'state': transaction.state,
            'payment': transaction.payment, 'amount_requested': transaction.amount_requested,
            'amount_inserted': transaction.amount_inserted, 'amount_paid': transaction.amount_paid,
            'notes': transaction.note_ids.mapped('value'), 'accepting': transaction._accepting(),
            'error': transaction.error or '', 'slip': transaction.slip_state,
            'card': transaction.terminal_card or '',
            'customer': transaction.account_id.number,
            'vend': vend and {'name': vend.name, 'state': vend.state, 'energy': vend.energy_bought,
                              'amount': vend.amount_due, 'balance_after': vend.balance_after,
                              'kind': vend.kind, 'written': transaction._is_delivered()} or False,
        }

    def _kiosk_state(self, tid=None, resume=False):
        """Where the kiosk stands: in service or not, the card in its reader and its customer,
        the purchase `tid`. With `resume` (the kiosk page just started), interrupted purchases
        are brought to a safe state first."""
        transactions = self.env['prepaid.kiosk.transaction'].search(
            [('config_id', '=', self.id), ('state', 'in', ('cash_in', 'paying', 'paid', 'vended'))])
        transactions._resume() if resume else transactions.filtered(lambda t: t.state == 'cash_in')._resume()
        card = self._kiosk_card()
        account = self.prepaid_kiosk_account_id
        return {
            'kiosk': {'id': self.id, 'name': self.name, 'reason': self._kiosk_out_of_service_reason(),
                      'amounts': [float(a) for a in self._kiosk_numbers('prepaid_kiosk_amounts')],
                      'energies': [float(e) for e in self._kiosk_numbers('prepaid_kiosk_energies')],
                      'notes': [float(n) for n in self._kiosk_denominations()],
                      'currency': self.currency_id.symbol or '',
                      'cash': bool(self.prepaid_kiosk_cash_method_id),
                      'bank_card': bool(self.prepaid_kiosk_card_method_id)},
            'card': card,
            'customer': account and card['present'] and self._kiosk_customer(account) or False,
            'transaction': self._kiosk_transaction_summary(self._kiosk_transaction(tid)),
        }

    def _kiosk_account(self):
        account = self.prepaid_kiosk_account_id
        if not account or not self.prepaid_bridge_id.card_serial:
            raise UserError(self.env._("Insert your card first."))
        return account

    def _kiosk_get_quote(self, method, quantity):
        return self._kiosk_quote(self._kiosk_account(), method, quantity)

    def _kiosk_start(self, tid, payment, method, quantity):
        reason = self._kiosk_out_of_service_reason()
        if reason:
            raise UserError(reason)
        account = self._kiosk_account()
        transaction = self.env['prepaid.kiosk.transaction']._start(
            self, account, payment, method, quantity, str(tid), self.prepaid_bridge_id.card_serial)
        return self._kiosk_transaction_summary(transaction)

    def _kiosk_buy(self, tid):
        transaction = self._kiosk_transaction(tid)
        if not transaction:
            raise UserError(self.env._("Unknown purchase."))
        transaction._buy()
        return self._kiosk_transaction_summary(transaction)

    def _kiosk_revend(self):
        """Write again the purchase of the card in the reader that never reached it (补售电): the
        same image, never new credit."""
        vend = self._kiosk_waiting_vend(self._kiosk_account())
        if not vend:
            raise UserError(self.env._("Nothing is waiting to be written onto this card."))
        job = vend._queue_card_write(self._kiosk_bridge())
        return {'job_id': job.id, 'vend': vend.name}
