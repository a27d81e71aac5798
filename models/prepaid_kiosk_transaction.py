import uuid
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_round

from ..tools import MANAGER_GROUP, electricity_product, to_decimal

# a cash-in that hears nothing from the acceptor for so long is closed (the kiosk or its bridge
# stopped: power cut, crash), and one whose customer inserts nothing for so long is stopped: its
# money is vended, never lost
CASH_IDLE_SECONDS = 120
# a bank card payment whose answer never came is asked again (same reference: the terminal
# answers the first sale, it never debits twice) at most so many times
PAY_RETRIES = 3

OPEN_STATES = ('cash_in', 'paying', 'paid', 'vended')


class PrepaidKioskTransaction(models.Model):
    """One customer's purchase at a self-service kiosk, from the card in to the slip: what was
    inserted or paid, the vend, the card write. It is the kiosk's memory across crashes: every
    step is kept here (and the notes also in the bridge's local journal), so that an interrupted
    purchase always ends in a state an operator can resolve without losing the customer's money.

    The rules (the seed's): money taken is always vended (to the account, the card written when
    it comes back: 补售电); refunded only when the vend certainly never reached the system (cash
    held, no vend), by an operator, never together with a re-vend; a bank card debit whose vend
    is refused is voided on the terminal."""
    _name = 'prepaid.kiosk.transaction'
    _description = 'Kiosk Transaction'
    _order = 'id desc'
    _rec_name = 'reference'

    reference = fields.Char(required=True, readonly=True, index=True, copy=False,
                            default=lambda self: 'K' + uuid.uuid4().hex[:12].upper(),
                            help="The transaction's reference, also the bank card terminal's reference.")
    kiosk_tid = fields.Char(string='Kiosk Transaction ID', required=True, readonly=True, copy=False,
                            help="The id the kiosk gave the purchase: a repeated request is the same purchase.")
    config_id = fields.Many2one('pos.config', string='Kiosk', required=True, readonly=True, index=True)
    session_id = fields.Many2one('pos.session', readonly=True, index='btree_not_null')
    company_id = fields.Many2one(related='config_id.company_id', store=True)
    currency_id = fields.Many2one(related='config_id.currency_id')
    account_id = fields.Many2one('prepaid.account', string='Customer', required=True, readonly=True, index=True)
    card_serial = fields.Char(readonly=True)
    payment = fields.Selection([('cash', 'Cash'), ('card', 'Bank Card')], required=True, readonly=True)
    method = fields.Selection([('energy', 'By Energy'), ('money', 'By Money')], readonly=True)
    quantity = fields.Float(string='Quantity Requested', digits=(16, 2), readonly=True,
                            help="Energy (kWh) or money the customer chose.")
    amount_requested = fields.Monetary(readonly=True, help="The quote's amount for the customer's choice.")
    amount_inserted = fields.Monetary(compute='_compute_amount_inserted', store=True,
                                      help="Cash the bill acceptor stacked for this purchase.")
    amount_paid = fields.Monetary(readonly=True, help="The money the vend is for.")
    note_ids = fields.One2many('prepaid.kiosk.note', 'transaction_id', string='Notes', readonly=True)
    state = fields.Selection([
        ('cash_in', 'Taking Cash'), ('paying', 'Bank Card Payment'), ('paid', 'Paid, Not Vended'),
        ('vended', 'Vended'), ('done', 'Done'), ('held', 'Cash Held, No Vend'), ('refunded', 'Cash Refunded'),
        ('declined', 'Payment Declined'), ('voided', 'Payment Voided'), ('cancelled', 'Cancelled'),
    ], default='cash_in', required=True, readonly=True, index=True)
    buy_requested = fields.Boolean(readonly=True, help="The customer pressed Buy, or the amount was reached.")
    last_event_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    last_note_at = fields.Datetime(string='Last Note Inserted', readonly=True)
    job_id = fields.Many2one('prepaid.card.job', string='Device Job', readonly=True)
    pay_attempts = fields.Integer(readonly=True)
    terminal_authorization = fields.Char(readonly=True)
    terminal_card = fields.Char(string='Bank Card', readonly=True)
    pos_order_id = fields.Many2one('pos.order', string='Order', readonly=True)
    vend_id = fields.Many2one('prepaid.vend', readonly=True, index='btree_not_null')
    vend_state = fields.Selection(related='vend_id.state', string='Card Write')
    slip_state = fields.Selection([('none', 'Not Printed'), ('queued', 'Printing'), ('printed', 'Slip Printed'),
                                   ('failed', 'Not Printed (Printer Fault)')], default='none', readonly=True)
    error = fields.Char(readonly=True, help="Why the purchase stopped where it is.")
    lang = fields.Char(string='Language', readonly=True, help="The language the customer chose on the screen.")
    settled_by_id = fields.Many2one('res.users', readonly=True)
    settled_at = fields.Datetime(readonly=True)

    _kiosk_tid_unique = models.Constraint('UNIQUE(config_id, kiosk_tid)',
                                          "A kiosk's transaction id is used once.")

    @api.depends('note_ids.value')
    def _compute_amount_inserted(self):
        for transaction in self:
            transaction.amount_inserted = sum(transaction.note_ids.mapped('value'))

    # ------------------------------------------------------------------ starting
    @api.model
    def _start(self, config, account, payment, method, quantity, kiosk_tid, card_serial):
        """Begin a purchase (idempotent on the kiosk's id): the quote is checked first, so a
        customer who cannot buy is told before any money is taken."""
        done = self.search([('config_id', '=', config.id), ('kiosk_tid', '=', kiosk_tid)])
        if done:
            return done
        if payment not in ('cash', 'card'):
            raise UserError(self.env._("Pay in cash or by bank card."))
        if self.search_count([('config_id', '=', config.id), ('state', 'in', ('cash_in', 'paying', 'paid'))]):
            raise UserError(self.env._("This kiosk is finishing another purchase: wait a moment."))
        quote = config._kiosk_quote(account, method, quantity)
        if 'error' in quote:
            raise UserError(quote['error'])
        config._kiosk_payment_method(payment)     # refused when the kiosk does not take this payment
        transaction = self.create({
            'kiosk_tid': kiosk_tid, 'config_id': config.id, 'session_id': config._kiosk_session().id,
            'account_id': account.id, 'card_serial': card_serial, 'payment': payment, 'method': quote['method'],
            'quantity': quote['quantity'], 'amount_requested': quote['amount_due'], 'lang': self.env.lang,
            'state': 'cash_in' if payment == 'cash' else 'paying'})
        bridge = config._kiosk_bridge()
        if payment == 'cash':
            params = {'transaction': transaction.reference, 'limit': self._money_text(quote['amount_due']),
                      'denominations': config._kiosk_denominations_text()}
            transaction.job_id = self.env['prepaid.card.job']._create_device_job(bridge, 'cash', transaction, params)
        else:
            transaction._request_payment()
        return transaction

    def _money_text(self, amount):
        return str(to_decimal(amount).quantize(Decimal('0.01')))

    def _request_payment(self):
        """Ask the terminal for the debit, under the transaction's reference (asked again after a
        lost answer: the terminal answers the first sale)."""
        self.ensure_one()
        self.write({'pay_attempts': self.pay_attempts + 1, 'last_event_at': fields.Datetime.now()})
        self.job_id = self.env['prepaid.card.job']._create_device_job(
            self.config_id._kiosk_bridge(), 'pay', self,
            {'reference': self.reference, 'amount': self._money_text(self.amount_requested)})

    # ------------------------------------------------------------------ the bill acceptor
    def _lock(self):
        """Serialise the bridge's cash events and the customer's requests on one purchase."""
        self.env.execute_query(SQL("SELECT id FROM prepaid_kiosk_transaction WHERE id IN %s FOR UPDATE",
                                   tuple(self.ids)))
        self.invalidate_recordset()

    def _accepting(self):
        return self.state == 'cash_in' and not self.buy_requested

    def _on_cash_event(self, job, event, values):
        """One event of the acceptor during the cash job; the reply tells the bridge what to do.
        A note is stacked only on the server's yes, and recorded before anything else once stacked."""
        self.ensure_one()
        self._lock()
        self.last_event_at = fields.Datetime.now()
        if event == 'escrow':
            value = to_decimal(values.get('value') or 0)
            stack = self._accepting() and self._can_take(value)
            return {'route': 'stack' if stack else 'return', 'accept': self._accepting()}
        if event == 'stacked':
            self._record_note(job, values)
            self.last_note_at = fields.Datetime.now()
            return {'accept': self._accepting()}
        if event == 'fault':
            self.config_id._kiosk_device_fault('acceptor', values.get('code') or 'fault')
            return {'accept': self._accepting()}
        self._stop_if_abandoned()
        return {'accept': self._accepting()}

    def _stop_if_abandoned(self):
        """The customer took the card out, or inserted nothing for a while: the acceptor stops,
        and what was inserted is vended (nothing inserted: the purchase is cancelled)."""
        card_out = self.card_serial and self.config_id.prepaid_bridge_id.card_serial != self.card_serial
        quiet_since = self.last_note_at or self.create_date
        if self.state == 'cash_in' and (card_out or quiet_since < fields.Datetime.now() - timedelta(
                seconds=CASH_IDLE_SECONDS)):
            self.buy_requested = True

    def _can_take(self, value):
        """Whether the customer may insert `value` more: up to the amount chosen, and only what
        the account can still buy (hoarding limit, the tariff's steps), so nothing is held."""
        if value <= 0 or value not in self.config_id._kiosk_denominations():
            return False
        total = to_decimal(self.amount_inserted) + value
        if total > to_decimal(self.amount_requested):
            return False
        return 'error' not in self.config_id._kiosk_quote(self.account_id, 'money', total)

    def _record_note(self, job, values):
        """Record a stacked note once (the bridge sends it again after a lost answer or from its
        journal after a restart). A note arriving after its purchase was closed is still the
        customer's money: it becomes a purchase of its own, held for an operator."""
        Note = self.env['prepaid.kiosk.note']
        seq = int(values.get('seq') or 0)
        if Note.search_count([('job_id', '=', job.id), ('seq', '=', seq)]):
            return
        value = to_decimal(values.get('value') or 0)
        target = self
        if self.state != 'cash_in':
            target = self.create({
                'kiosk_tid': f'{self.kiosk_tid}-late-{seq}', 'config_id': self.config_id.id,
                'session_id': self.config_id._kiosk_session().id, 'account_id': self.account_id.id,
                'card_serial': self.card_serial, 'payment': 'cash', 'method': 'money', 'state': 'paid'})
        Note.create({'transaction_id': target.id, 'job_id': job.id, 'seq': seq, 'value': float(value),
                     'session_id': target.session_id.id})
        if target != self:
            target._hold(self.env._("A note reached the server after its purchase was closed."))
        elif to_decimal(self.amount_inserted) >= to_decimal(self.amount_requested):
            self.buy_requested = True

    def _buy(self):
        """The customer pressed Buy: the acceptor stops (at the bridge's next event) and the
        vend is made for the money inserted when the cash job ends."""
        self.ensure_one()
        self._lock()
        if self.state == 'cash_in':
            self.write({'buy_requested': True, 'last_event_at': fields.Datetime.now()})

    def _cancel(self):
        """The customer walked away or pressed Cancel: with no money inserted the purchase is
        cancelled; with money, it is bought (money taken is always vended)."""
        self.ensure_one()
        self._buy()

    # ------------------------------------------------------------------ device results
    def _on_device_result(self, job):
        """A device job of this purchase ended (the bridge's signed result)."""
        self.ensure_one()
        self._lock()
        if job.operation == 'cash' and self.state == 'cash_in':
            self._close_cash_in()
        elif job.operation == 'pay' and self.state == 'paying' and job == self.job_id:
            self._on_payment(job)
        elif job.operation == 'void':
            outcome = (job.data or {}).get('outcome')
            # voided now, or before (a void asked again), or no debit to void at all
            if outcome in ('voided', 'already_voided', 'not_found'):
                self.state = 'voided'
            else:
                self.error = self.env._("The bank card payment could not be voided on the terminal: an "
                                        "operator must refund it.")
        elif job.operation == 'print':
            self.slip_state = 'printed' if job.state == 'done' else 'failed'
            if job.state != 'done':
                self.config_id._kiosk_device_fault('printer', job.error or 'fault')
            if self.state == 'vended' and self._is_delivered():
                self.state = 'done'

    def _close_cash_in(self):
        if self.amount_inserted <= 0:
            self.state = 'cancelled'
            return
        self.write({'state': 'paid', 'amount_paid': self.amount_inserted})
        self._vend_paid()

    def _on_payment(self, job):
        data = job.data or {}
        outcome = data.get('outcome')
        if job.state == 'done' and outcome == 'approved':
            self.write({'state': 'paid', 'amount_paid': self.amount_requested,
                        'terminal_authorization': data.get('authorization') or '',
                        'terminal_card': data.get('card') or ''})
            self._vend_paid()
        elif outcome == 'declined':
            self.write({'state': 'declined', 'error': self.env._("The bank card payment was declined.")})
        elif self.pay_attempts < PAY_RETRIES:
            self._request_payment()    # no answer: ask again, the terminal never debits twice
        else:
            self.error = self.env._("The bank card terminal did not answer: an operator must check the "
                                    "payment %(reference)s on the terminal.", reference=self.reference)

    # ------------------------------------------------------------------ the vend
    def _vend_paid(self):
        """Sell what was paid, as a paid order of the kiosk's session (so it reaches the ledger
        and the reconciliation like a till's), the vend idempotent on the order line. A vend the
        server refuses leaves cash held (an operator settles it) or voids the bank card debit."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                order = self._make_order()
        except UserError as refusal:
            if self.payment == 'cash':
                self._hold(refusal.args[0])
            else:
                self.write({'error': refusal.args[0]})
                self.job_id = self.env['prepaid.card.job']._create_device_job(
                    self.config_id._kiosk_bridge(), 'void', self,
                    {'reference': self.reference, 'amount': self._money_text(self.amount_paid)})
            return
        vend = order.lines.prepaid_vend_id[:1]
        self.write({'pos_order_id': order.id, 'vend_id': vend.id, 'state': 'vended', 'error': False})
        if self._is_delivered():
            self._print_slip()

    def _hold(self, reason):
        """Cash taken with no vend: kept as the kiosk session's cash in (the cassette holds it)
        until an operator vends or refunds it."""
        self.ensure_one()
        self.write({'state': 'held', 'error': reason})
        self._cash_move('in', self.env._("Cash held, no vend: %(reference)s", reference=self.reference))

    def _cash_move(self, direction, reason):
        session = self.config_id._kiosk_session()
        session.sudo().try_cash_in_out(direction, self.amount_inserted, reason, self.account_id.partner_id.id,
                                       {'translatedType': direction})

    def _make_order(self):
        config, account = self.config_id, self.account_id
        session = config._kiosk_session()
        amount = float_round(self.amount_paid, precision_rounding=self.currency_id.rounding)
        by_energy = self.payment == 'card' and self.method == 'energy' and account.delivery != 'remote'
        product = electricity_product(self.env)
        line_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f'prepaid-kiosk-line:{self.reference}'))
        order_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f'prepaid-kiosk-order:{self.reference}'))
        data = {
            'uuid': order_uuid, 'session_id': session.id, 'user_id': self.env.uid, 'partner_id': account.partner_id.id,
            'pricelist_id': config.pricelist_id.id, 'fiscal_position_id': False, 'to_invoice': False,
            'name': self.reference, 'date_order': fields.Datetime.to_string(fields.Datetime.now()),
            'amount_total': amount, 'amount_tax': 0.0, 'amount_paid': amount, 'amount_return': 0.0,
            'last_order_preparation_change': '{}',
            'lines': [(0, 0, {
                'uuid': line_uuid, 'product_id': product.id, 'qty': 1, 'price_unit': amount,
                'price_subtotal': amount, 'price_subtotal_incl': amount, 'discount': 0.0, 'tax_ids': [],
                'prepaid_account_id': account.id, 'prepaid_method': 'energy' if by_energy else 'money',
                'prepaid_quantity': self.quantity if by_energy else amount})],
            'payment_ids': [(0, 0, {'amount': amount, 'name': fields.Datetime.now(),
                                    'payment_method_id': config._kiosk_payment_method(self.payment).id})],
        }
        self.session_id = session
        self.env['pos.order'].sync_from_ui([data])
        return self.env['pos.order'].search([('uuid', '=', order_uuid)])

    def _is_delivered(self):
        """The credit reached the customer: written onto the card, or a remote balance topped up."""
        return self.vend_id.kind == 'topup' or self.vend_id.state == 'written'

    def _on_card_write(self, job):
        """The card write of this purchase's vend ended: written, the slip is printed."""
        for transaction in self.filtered(lambda t: t.state == 'vended' and t.slip_state == 'none'):
            if job.state == 'done' and transaction._is_delivered():
                transaction._print_slip()

    def _print_slip(self):
        self.ensure_one()
        self.config_id._kiosk_print(self._slip(), transaction=self)
        self.slip_state = 'queued'

    def _slip(self):
        """The slip's lines in the language the customer chose on the screen, at the kiosk's local
        time: station, kiosk, customer, meter, purchase number, energy, amount, balance, time,
        receipt number."""
        self.ensure_one()
        account, vend = self.account_id, self.vend_id
        env = self.with_context(lang=self.lang or account.partner_id.lang or self.env.lang,
                                tz=self.config_id._kiosk_tz()).env
        _ = env._
        when = fields.Datetime.context_timestamp(self.with_env(env), vend.date or fields.Datetime.now())
        def money(amount):
            return self.config_id._kiosk_slip_money(self.currency_id, amount)

        lines = [
            [_("Station"), account.station_id.name or ''],
            [_("Kiosk"), self.config_id.name],
            [_("Customer"), self.config_id._kiosk_masked_name(account.partner_id.name)],
            [_("Customer No."), account.number],
            [_("Meter"), account.meter_id.number],
        ]
        if vend.kind == 'topup':
            lines += [[_("Top-up"), money(vend.amount_due)],
                      [_("Balance"), money(account.money_balance)]]
        else:
            lines += [[_("Purchase No."), str(vend.sequence)],
                      [_("Energy"), f"{vend.energy_bought:.2f} kWh"],
                      [_("Amount"), money(vend.amount_due)],
                      [_("Balance"), money(vend.balance_after)]]
        lines += [[_("Payment"), dict(self._fields['payment']._description_selection(env))[self.payment]],
                  [_("Time"), when.strftime('%Y-%m-%d %H:%M:%S')],
                  [_("Receipt No."), self.pos_order_id.name or self.reference]]
        return {'title': _("Electricity Purchase Slip"), 'lines': lines,
                'footer': _("Take your card. Insert it into your meter to load the credit.")
                if vend.kind != 'topup' else _("The balance is credited to your meter.")}

    # ------------------------------------------------------------------ re-vend and resuming
    def _resume(self):
        """Bring interrupted purchases of these kiosks to a state that loses nothing: a cash-in
        that stopped is vended for what it took (or cancelled when it took nothing), a paid
        purchase is vended, an unanswered bank card payment is asked again. Run when the kiosk
        (re)starts and by a cron."""
        now = fields.Datetime.now()
        stale = now - timedelta(seconds=CASH_IDLE_SECONDS)
        for transaction in self:
            transaction._lock()
            if transaction.state == 'cash_in' and transaction.last_event_at < stale:
                transaction._close_cash_in()
            elif transaction.state == 'paid':
                transaction._vend_paid()
            elif transaction.state == 'paying' and transaction.job_id.state in ('failed', 'expired') \
                    and transaction.pay_attempts < PAY_RETRIES:
                transaction._request_payment()
            elif transaction.state == 'vended' and transaction._is_delivered() and transaction.slip_state == 'none':
                transaction._print_slip()

    @api.model
    def _cron_resume(self):
        self.search([('state', 'in', OPEN_STATES)])._resume()

    # ------------------------------------------------------------------ operator
    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only managers settle held kiosk cash."))

    def action_vend_held(self):
        """Settle held cash by vending it (the customer's choice); never after a refund."""
        self._check_manager()
        for transaction in self:
            transaction._lock()
            if transaction.state != 'held':
                raise UserError(self.env._("Only held cash can be vended."))
            transaction = transaction.sudo()  # sudo: the order and its vend are the kiosk's
            with self.env.cr.savepoint():
                transaction._cash_move('out', self.env._("Held cash vended: %(reference)s",
                                                         reference=transaction.reference))
                transaction.write({'state': 'paid', 'amount_paid': transaction.amount_inserted,
                                   'settled_by_id': self.env.uid, 'settled_at': fields.Datetime.now()})
                order = transaction._make_order()
            vend = order.lines.prepaid_vend_id[:1]
            transaction.write({'pos_order_id': order.id, 'vend_id': vend.id, 'state': 'vended', 'error': False})

    def action_refund_held(self):
        """Settle held cash by paying it back: allowed only because no vend reached the system
        for it. Before its collection the cash leaves the kiosk's session as a cash out; after,
        it is paid at a station out of the kiosk's cash journal."""
        self._check_manager()
        for transaction in self:
            transaction._lock()
            if transaction.state != 'held' or transaction.vend_id:
                raise UserError(self.env._("Only held cash with no vend can be refunded."))
            reason = self.env._("Held cash refunded: %(reference)s", reference=transaction.reference)
            if transaction.session_id.state == 'opened':
                transaction._cash_move('out', reason)     # paid back from the cassette, not yet collected
            else:
                # collected with its session: paid back at a station, out of the kiosk's cash journal
                # (no session: the next collection of the cassette is not touched)
                self.env['account.bank.statement.line'].sudo().create({
                    'journal_id': transaction.config_id._kiosk_payment_method('cash').journal_id.id,
                    'amount': -transaction.amount_inserted, 'payment_ref': reason,
                    'partner_id': transaction.account_id.partner_id.id, 'date': fields.Date.context_today(self)})
            transaction.write({'state': 'refunded', 'settled_by_id': self.env.uid,
                               'settled_at': fields.Datetime.now()})
