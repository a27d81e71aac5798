from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import SQL

from ..tools import OPERATOR_GROUP

# a purchase in these states may still take or pay money in the settled session
RUNNING_STATES = ('cash_in', 'paying', 'paid')


class PrepaidKioskSettlement(models.Model):
    """The terminal settlement (清机) of a self-service kiosk: a collector empties the cassette
    and counts it against what the kiosk recorded in its session.

    Started, the kiosk takes no new purchase and the session's figures are read: the notes the
    bill acceptor stacked per denomination, the expected cash (the session's opening, cash
    payments and cash in/out: held cash included), the bank card payments, the sales, the held
    cash not settled yet. The collector types the notes found in the cassette. Ended, the
    counted cash is posted to the session and the session is closed, Odoo posting the difference
    to the cash journal's loss or profit account; the next session opens at zero (the cassette
    is empty) and the settlement slip is printed on the kiosk.

    Collectors are vending operators; they see their own settlements, managers all of them.
    Operators are not POS managers: the session is opened and closed with sudo once the
    collector's role was checked."""
    _name = 'prepaid.kiosk.settlement'
    _description = 'Kiosk Settlement'
    _order = 'started_at desc, id desc'
    _check_company_auto = True

    name = fields.Char(string='Reference', required=True, readonly=True, copy=False, default='/')
    config_id = fields.Many2one('pos.config', string='Kiosk', required=True, index=True, check_company=True,
                                domain=[('prepaid_kiosk', '=', True)])
    company_id = fields.Many2one(related='config_id.company_id', store=True)
    currency_id = fields.Many2one(related='config_id.currency_id')
    session_id = fields.Many2one('pos.session', readonly=True, index='btree_not_null',
                                 help="The kiosk's session this settlement closes.")
    next_session_id = fields.Many2one('pos.session', readonly=True)
    collector_id = fields.Many2one('res.users', readonly=True, index=True,
                                   default=lambda self: self.env.user)
    started_at = fields.Datetime(string='Started', readonly=True, default=fields.Datetime.now)
    ended_at = fields.Datetime(string='Ended', readonly=True)
    state = fields.Selection([('started', 'Started'), ('done', 'Ended'), ('cancelled', 'Cancelled')],
                             string='Status', default='started', required=True, readonly=True, index=True)
    line_ids = fields.One2many('prepaid.kiosk.settlement.line', 'settlement_id', string='Denominations')
    # what the kiosk recorded: read at the start, on demand, and at the end before the session is closed
    opening_amount = fields.Monetary(string='Opening Cash', readonly=True)
    cash_payment_amount = fields.Monetary(string='Cash Sales', readonly=True,
                                          help="Cash payments of the session's paid orders.")
    cash_move_amount = fields.Monetary(string='Cash In/Out', readonly=True,
                                       help="Cash held with no vend (in), held cash vended or refunded (out).")
    expected_amount = fields.Monetary(string='Expected Cash', readonly=True,
                                      help="The session's opening cash, cash sales and cash in/out.")
    card_amount = fields.Monetary(string='Bank Card Total', readonly=True)
    card_count = fields.Integer(string='Bank Card Payments', readonly=True)
    sale_count = fields.Integer(string='Sales', readonly=True, help="Paid orders of the session.")
    sale_amount = fields.Monetary(string='Sales Total', readonly=True)
    held_transaction_ids = fields.Many2many('prepaid.kiosk.transaction', string='Held Cash List', readonly=True,
                                            help="Cash of this kiosk taken with no vend, not settled yet.")
    held_amount = fields.Monetary(string='Held Cash', readonly=True)
    # the collector's count against the acceptor's
    acceptor_count = fields.Integer(string='Acceptor Notes', compute='_compute_totals', store=True)
    acceptor_amount = fields.Monetary(string='Acceptor Total', compute='_compute_totals', store=True)
    cassette_count = fields.Integer(string='Cassette Notes', compute='_compute_totals', store=True)
    counted_amount = fields.Monetary(string='Counted Cash', compute='_compute_totals', store=True)
    difference = fields.Monetary(compute='_compute_totals', store=True,
                                 help="Counted cash minus expected cash: posted when the settlement ends.")
    difference_move_id = fields.Many2one('account.move', string='Difference Entry', readonly=True,
                                         help="The cash difference Odoo posted when the session was closed.")
    session_move_id = fields.Many2one(related='session_id.move_id', string='Session Entry')
    slip_job_id = fields.Many2one('prepaid.card.job', string='Slip Print Job', readonly=True)

    _one_started_per_kiosk = models.UniqueIndex("(config_id) WHERE state = 'started'",
                                                "This kiosk is already being collected.")

    @api.depends('line_ids.acceptor_count', 'line_ids.acceptor_amount', 'line_ids.cassette_count',
                 'line_ids.cassette_amount', 'expected_amount')
    def _compute_totals(self):
        for settlement in self:
            lines = settlement.line_ids
            settlement.acceptor_count = sum(lines.mapped('acceptor_count'))
            settlement.acceptor_amount = sum(lines.mapped('acceptor_amount'))
            settlement.cassette_count = sum(lines.mapped('cassette_count'))
            settlement.counted_amount = sum(lines.mapped('cassette_amount'))
            settlement.difference = settlement.counted_amount - settlement.expected_amount

    @api.model_create_multi
    def create(self, vals_list):
        """Start the settlement of a kiosk (清机开始): its current session (opened when it has
        none), a line per accepted note with the acceptor's counts. From now on the kiosk
        takes no new purchase (pos.config._kiosk_out_of_service_reason)."""
        self._check_collector()
        for vals in vals_list:
            config = self.env['pos.config'].browse(vals.get('config_id'))
            if not config:
                raise UserError(self.env._("Choose the kiosk to collect."))
            config._kiosk_check()
            started = config._kiosk_settlement()
            if started:
                raise UserError(self.env._("%(kiosk)s is already being collected (%(settlement)s, %(collector)s).",
                                           kiosk=config.name, settlement=started.name,
                                           collector=started.collector_id.name))
            session = config.sudo()._kiosk_session()  # sudo: the kiosk's session; collectors are not POS managers
            vals.update({
                'name': self.env['ir.sequence'].next_by_code('prepaid.kiosk.settlement') or '/',
                'session_id': session.id, 'collector_id': self.env.uid, 'started_at': fields.Datetime.now(),
                'state': 'started',
                'line_ids': [Command.create({'value': float(value)}) for value in config._kiosk_denominations()],
            })
        settlements = super().create(vals_list)
        settlements._read_figures()
        return settlements

    # ------------------------------------------------------------------ actions
    def action_update_counts(self):
        """Read the kiosk's figures again (a purchase running at the start has ended since)."""
        self._check_collector()
        self._check_started()
        self._read_figures()

    def action_end(self):
        """End the settlement (清机结束): post the counted cash and close the session, open the
        next one, print the settlement slip on the kiosk."""
        self._check_collector()
        for settlement in self:
            settlement._lock()
            settlement._check_started()
            settlement._check_no_running_purchase()
            settlement._read_figures()
            settlement._close_session()
            settlement.write({
                'state': 'done', 'ended_at': fields.Datetime.now(),
                # sudo: as when starting; the cassette is empty, the next session opens at zero
                'next_session_id': settlement.config_id.sudo()._kiosk_session().id,
            })
            settlement._print_slip()
        return True

    def action_cancel(self):
        """Give up a started settlement: nothing is posted, the kiosk sells again."""
        self._check_collector()
        for settlement in self:
            settlement._lock()
            settlement._check_started()
        self.write({'state': 'cancelled', 'ended_at': fields.Datetime.now()})
        return True

    def action_print(self):
        return self.env.ref('prepaid_electricity.action_report_kiosk_settlement').report_action(self)

    # ------------------------------------------------------------------ checks
    def _check_collector(self):
        if not self.env.user.has_group(OPERATOR_GROUP):
            raise AccessError(self.env._("Only vending operators collect kiosks."))

    def _check_started(self):
        for settlement in self:
            if settlement.state != 'started':
                raise UserError(self.env._("Settlement %(name)s is not started.", name=settlement.name))

    def _check_no_running_purchase(self):
        """A purchase still taking or paying money would land in the closed session or the next
        one: the collector waits until the kiosk has finished it."""
        self.ensure_one()
        running = self.env['prepaid.kiosk.transaction'].search(
            [('config_id', '=', self.config_id.id), ('state', 'in', RUNNING_STATES)])
        if running:
            raise UserError(self.env._(
                "A purchase is still running on %(kiosk)s (%(references)s): wait until it ends, then end the "
                "settlement.", kiosk=self.config_id.name, references=', '.join(running.mapped('reference'))))

    def _lock(self):
        """Serialise the collector's clicks (a double click ends once)."""
        self.env.execute_query(SQL("SELECT id FROM prepaid_kiosk_settlement WHERE id IN %s FOR UPDATE",
                                   tuple(self.ids)))
        self.invalidate_recordset()

    # ------------------------------------------------------------------ figures
    def _read_figures(self):
        """Read what the kiosk recorded in the settled session: the acceptor's notes per
        denomination, the expected cash, bank card payments, sales, held cash."""
        Note = self.env['prepaid.kiosk.note']
        Payment = self.env['pos.payment'].sudo()    # sudo: the figures of the session; collectors are not
        Order = self.env['pos.order'].sudo()        # accountants
        for settlement in self:
            session = settlement.session_id.sudo()  # sudo: idem
            currency = settlement.currency_id
            session.invalidate_recordset(['cash_register_balance_end', 'statement_line_ids'])
            payments = {method: (amount, count) for method, amount, count in Payment._read_group(
                session._get_captured_payments_domain(), ['payment_method_id'], ['amount:sum', '__count'])}
            cash_method = session.payment_method_ids.filtered('is_cash_count')[:1]
            card_amount, card_count = payments.get(settlement.config_id.prepaid_kiosk_card_method_id, (0.0, 0))
            [(sale_count, sale_amount)] = Order._read_group(
                [('session_id', '=', session.id), ('state', 'in', ('paid', 'done', 'invoiced'))],
                aggregates=['__count', 'amount_total:sum'])
            held = self.env['prepaid.kiosk.transaction'].search(
                [('config_id', '=', settlement.config_id.id), ('state', '=', 'held')])
            notes = {currency.round(value): count for value, count in Note._read_group(
                [('session_id', '=', session.id)], ['value'], ['__count'])}
            lines = {currency.round(line.value): line for line in settlement.line_ids}
            line_commands = [Command.update(line.id, {'acceptor_count': notes.get(value, 0)})
                             for value, line in lines.items()]
            line_commands += [Command.create({'value': value, 'acceptor_count': notes[value]})
                              for value in sorted(set(notes) - set(lines))]
            settlement.write({
                'line_ids': line_commands,
                'opening_amount': session.cash_register_balance_start,
                'cash_payment_amount': payments.get(cash_method, (0.0, 0))[0],
                'cash_move_amount': sum(session.statement_line_ids.mapped('amount')),
                'expected_amount': session.cash_register_balance_end,
                'card_amount': card_amount, 'card_count': card_count,
                'sale_count': sale_count, 'sale_amount': sale_amount or 0.0,
                'held_transaction_ids': [Command.set(held.ids)],
                'held_amount': sum(held.mapped('amount_inserted')),
            })

    # ------------------------------------------------------------------ ending
    def _close_session(self):
        """Post the counted cash and close the session as the POS closing screen does; Odoo
        posts the difference as a statement line of the cash journal against its loss or profit
        account, kept here as the difference entry."""
        self.ensure_one()
        session = self.session_id.sudo()  # sudo: closing posts the session's entries; collectors are not POS managers
        if session.state == 'closed':
            raise UserError(self.env._("Session %(session)s was closed outside this settlement: cancel the "
                                       "settlement and start a new one.", session=session.name))
        before = session.statement_line_ids
        self._check_closing(session, session.post_closing_cash_details(self.counted_amount))
        # the session's cash difference does not depend on the counted cash in the ORM: read it anew
        session.invalidate_recordset(['cash_register_balance_end', 'cash_register_difference'])
        if self.currency_id.compare_amounts(session.cash_register_difference, self.difference):
            raise UserError(self.env._("The kiosk recorded cash since the counts were read: update the counts, "
                                       "then end the settlement."))
        self._check_closing(session, session.close_session_from_ui())
        # the closing also turns the cash payments into a statement line: the difference is the
        # one against the journal's loss or profit account
        journal = session.cash_journal_id
        accounts = journal.loss_account_id | journal.profit_account_id
        self.difference_move_id = (session.statement_line_ids - before).move_id.filtered(
            lambda move: move.line_ids.account_id & accounts)[:1]

    def _check_closing(self, session, result):
        """Refuse with Odoo's reason when a closing step did not succeed."""
        if not result.get('successful'):
            raise UserError(self.env._("Session %(session)s cannot be closed: %(reason)s",
                                       session=session.name, reason=result.get('message') or ''))

    def _print_slip(self):
        """Print the settlement slip on the kiosk's printer; a kiosk whose bridge is not paired
        prints nothing (the PDF remains)."""
        self.ensure_one()
        config = self.config_id.sudo()  # sudo: the kiosk's device jobs are the kiosk's
        if config.prepaid_bridge_id.state == 'paired':
            self.slip_job_id = config._kiosk_print(self._slip())

    def _slip(self):
        """The slip's lines in the collector's language."""
        self.ensure_one()
        _ = self.env._
        currency = self.currency_id

        def when(moment):
            return moment and fields.Datetime.context_timestamp(self, moment).strftime('%Y-%m-%d %H:%M:%S') or ''

        def money(amount):
            return self.config_id._kiosk_slip_money(currency, amount)

        lines = [[_("Settlement"), self.name], [_("Kiosk"), self.config_id.name],
                 [_("Session"), self.session_id.name or ''], [_("Collector"), self.collector_id.name],
                 [_("Started"), when(self.started_at)], [_("Ended"), when(self.ended_at)]]
        lines += [[_("Note %(value)s", value=money(line.value)),
                   _("%(acceptor)s stacked, %(cassette)s counted", acceptor=line.acceptor_count,
                     cassette=line.cassette_count)]
                  for line in self.line_ids if line.acceptor_count or line.cassette_count]
        lines += [[_("Acceptor Total"), money(self.acceptor_amount)],
                  [_("Expected Cash"), money(self.expected_amount)],
                  [_("Counted Cash"), money(self.counted_amount)],
                  [_("Difference"), money(self.difference)],
                  [_("Bank Card"), _("%(amount)s (%(count)s payments)", amount=money(self.card_amount),
                                     count=self.card_count)],
                  [_("Sales"), str(self.sale_count)],
                  [_("Held Cash"), money(self.held_amount)]]
        return {'title': _("Kiosk Settlement"), 'lines': lines,
                'footer': _("Collector signature: ______________")}
