import dataclasses

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..engine import card_crypto, money, vending
from ..tools import ENERGY_DIGITS, MANAGER_GROUP, refusal_error, to_decimal

CUSTOMER_DATA_FIELDS = ('partner_id', 'tariff_id', 'area_id')
# What a sale reads (quote, vend record, account update, card write check, POS receipt).
VEND_READS = {
    'account': ['state', 'number', 'partner_id', 'area_id', 'company_id', 'card_id', 'station_id', 'meter_id',
                'tariff_id', 'purchase_sequence', 'money_balance', 'period_key', 'period_energy',
                'is_credit_valid', 'remaining_energy', 'over_zero_energy'],
    'station': ['code', 'key_version', 'preset_energy', 'payment_precision', 'energy_step', 'company_id'],
    'meter': ['number', 'ct_ratio', 'pt_ratio', 'side', 'hoarding_energy', 'company_id'],
    'tariff': ['kind', 'price', 'period', 'price_sharp', 'price_peak', 'price_flat', 'price_valley'],
}


class PrepaidAccount(models.Model):
    """A customer account (客户): one customer, one meter, one valid card.

    The account row holds everything a vend needs (balance, sequence, period energy, last
    write-back), so quoting and vending never read the vend history: they stay as fast with
    two million vends as with none. Accounts are never deleted; closing freezes them."""
    _name = 'prepaid.account'
    _description = 'Customer Account'
    _inherit = ['mail.thread', 'mail.activity.mixin', 'pos.load.mixin']
    _rec_names_search = ['number', 'partner_id.name', 'meter_id.number', 'partner_id.phone']
    _order = 'number desc'
    _check_company_auto = True

    number = fields.Char(string='Customer Number', size=12, readonly=True, copy=False,
                         index='trigram', default='/')
    partner_id = fields.Many2one('res.partner', string='Customer', required=True, tracking=True,
                                 index=True)
    phone = fields.Char(related='partner_id.phone')
    meter_id = fields.Many2one('prepaid.meter', required=True, tracking=True,
                               check_company=True, index=True)
    meter_type_id = fields.Many2one(related='meter_id.meter_type_id')
    tariff_id = fields.Many2one('prepaid.tariff', required=True, tracking=True, check_company=True)
    area_id = fields.Many2one('prepaid.area', tracking=True, check_company=True, index='btree_not_null')
    station_id = fields.Many2one('prepaid.station', required=True, check_company=True, tracking=True)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    state = fields.Selection(
        [('active', 'Active'), ('deactivated', 'Deactivated'), ('closed', 'Closed')],
        default='active', required=True, readonly=True, tracking=True, index=True)
    open_date = fields.Date(default=fields.Date.context_today, readonly=True)
    money_balance = fields.Monetary(
        readonly=True, tracking=True,
        help="Money carried to the next purchase: what did not buy a whole energy step.")
    purchase_sequence = fields.Integer(
        readonly=True, tracking=True,
        help="Purchases on the current meter; the meter accepts only the next one.")
    period_key = fields.Char(readonly=True, help="Tariff period (year or month) of period_energy.")
    period_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True,
                                 help="Energy bought in the tariff's current period (for tiers).")
    is_credit_valid = fields.Boolean(
        string='Credit on Card Valid', readonly=True,
        help="The last credit written is still on the card (not yet consumed by the meter).")
    remaining_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True,
                                    help="Remaining energy reported by the meter's last write-back.")
    over_zero_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True,
                                    help="Over-zero energy reported by the meter's last write-back.")
    card_id = fields.Many2one('prepaid.card', string='Current Card', readonly=True, index='btree_not_null')
    card_ids = fields.One2many('prepaid.card', 'account_id', string='Cards')
    card_count = fields.Integer(compute='_compute_counts')
    vend_ids = fields.One2many('prepaid.vend', 'account_id', string='Vends')
    operation_ids = fields.One2many('prepaid.operation', 'account_id', string='Operations')
    vend_count = fields.Integer(compute='_compute_counts')
    operation_count = fields.Integer(compute='_compute_counts')
    is_erased = fields.Boolean(string='Personal Data Erased', readonly=True)

    _number_uniq = models.Constraint('unique(number)', "The customer number must be unique.")

    # ------------------------------------------------------------------ point of sale
    @api.model
    def _load_pos_data_domain(self, data, config):
        return False    # nothing preloaded: the POS asks for the customer it serves

    @api.model
    def _load_pos_data_fields(self, config):
        return ['id', 'number', 'display_name', 'state', 'partner_id', 'delivery']

    @api.depends('number', 'partner_id.name')
    def _compute_display_name(self):
        # Only the names: a whole partner row costs more than the rest of this (the POS
        # loads the account with every synced vend).
        self.partner_id.fetch(['name'])
        for account in self:
            account.display_name = f'{account.number} {account.partner_id.name or ""}'.strip()

    def _compute_counts(self):
        vends = dict(self.env['prepaid.vend']._read_group(
            [('account_id', 'in', self.ids)], ['account_id'], ['__count']))
        operations = dict(self.env['prepaid.operation']._read_group(
            [('account_id', 'in', self.ids)], ['account_id'], ['__count']))
        cards = dict(self.env['prepaid.card']._read_group(
            [('account_id', 'in', self.ids)], ['account_id'], ['__count']))
        for account in self:
            account.card_count = cards.get(account, 0)
            account.vend_count = vends.get(account, 0)
            account.operation_count = operations.get(account, 0)

    @api.constrains('meter_id', 'state')
    def _check_one_account_per_meter(self):
        for account in self.filtered(lambda a: a.state == 'active'):
            if self.search_count([('meter_id', '=', account.meter_id.id), ('state', '=', 'active'),
                                  ('id', '!=', account.id)], limit=1):
                raise ValidationError(self.env._(
                    "Meter %(meter)s already belongs to another active customer.",
                    meter=account.meter_id.number))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get('number', '/') == '/':
                vals['number'] = self.env['ir.sequence'].next_by_code('prepaid.account')
        accounts = super().create(vals_list)
        for account in accounts:
            account.meter_id.write({'account_id': account.id, 'state': 'installed'})
        return accounts

    def write(self, vals):
        if 'number' in vals and any(a.number != vals['number'] for a in self):
            raise UserError(self.env._("A customer number is assigned by the system and never edited."))
        if self.filtered(lambda a: a.state == 'closed') and not self.env.context.get('prepaid_erasing'):
            raise UserError(self.env._("A closed account is frozen and cannot be changed."))
        modified = [name for name in CUSTOMER_DATA_FIELDS if name in vals]
        if modified and not self.env.context.get('prepaid_operation'):
            # Modify customer data (改写客户数据): audited like every other operation.
            labels = ', '.join(self._fields[name].get_description(self.env)['string'] for name in modified)
            for account in self:
                if any(account[name].id != (vals[name] or False) for name in modified):  # all Many2one
                    account._record_operation('modify', note=labels)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_always(self):
        raise UserError(self.env._(
            "Customer accounts are never deleted: close the account instead, so that its history "
            "stays intact for audits."))

    # ------------------------------------------------------------------ actions
    def action_view_vends(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.vend', 'name': self.env._("Vends"),
            'view_mode': 'list,form', 'domain': [('account_id', '=', self.id)],
            'context': {'default_account_id': self.id},
        }

    def action_view_cards(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.card', 'name': self.env._("Cards"),
            'view_mode': 'list,form', 'domain': [('account_id', '=', self.id)],
        }

    def action_view_operations(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.operation',
            'name': self.env._("Operations"), 'view_mode': 'list,form',
            'domain': [('account_id', '=', self.id)],
        }

    def action_deactivate(self):
        """Deactivate (注销): no more sales; the meter is released for reuse."""
        self._check_manager()
        for account in self:
            if account.state != 'active':
                raise UserError(self.env._("Only an active account can be deactivated."))
        self._record_operation('deactivate')
        self._release_meter()
        self.write({'state': 'deactivated', 'is_credit_valid': False})

    def action_reactivate(self):
        """Reactivate (激活), refused when the customer or meter number was reused meanwhile."""
        self._check_manager()
        for account in self:
            if account.state != 'deactivated':
                raise UserError(self.env._("Only a deactivated account can be reactivated."))
            reused = self.search([('id', '!=', account.id), ('state', '!=', 'closed'), '|',
                                  ('number', '=', account.number),
                                  ('meter_id', '=', account.meter_id.id)], limit=1)
            if reused or account.meter_id.account_id not in (account, self.env['prepaid.account']):
                raise UserError(self.env._(
                    "Account %(number)s cannot be reactivated: its meter %(meter)s or its customer "
                    "number has been given to another customer meanwhile.",
                    number=account.number, meter=account.meter_id.number))
            if account.meter_id.state == 'replaced':
                raise UserError(self.env._("Meter %(meter)s has been replaced; it cannot be used again.",
                                           meter=account.meter_id.number))
        self._record_operation('reactivate')
        self.write({'state': 'active'})
        for account in self:
            account.meter_id.write({'account_id': account.id, 'state': 'installed'})

    def action_close(self):
        """Close (销户): the account is frozen for good; nothing of it is deleted."""
        self._check_manager()
        for account in self:
            if account.state != 'deactivated':
                raise UserError(self.env._(
                    "Suspend and refund (or deactivate) account %(number)s before closing it.",
                    number=account.number))
        self._record_operation('close')
        self.write({'state': 'closed'})

    def action_erase_personal_data(self):
        """Anonymise the customer on request; sales and accounting stay intact."""
        self._check_manager()
        for account in self:
            if account.state == 'active':
                raise UserError(self.env._("Deactivate or close account %(number)s before erasing "
                                           "personal data.", number=account.number))
            # sudo: the partner may be shared with other apps the manager cannot write.
            account.partner_id.sudo().write({
                'name': self.env._("Erased customer %(number)s", number=account.number),
                'phone': False, 'email': False, 'street': False, 'street2': False,
                'city': False, 'zip': False, 'vat': False, 'comment': False,
            })
        self._record_operation('erase')
        self.with_context(prepaid_erasing=True).write({'is_erased': True})

    def _transfer_ownership(self, new_partner, note=None):
        """Ownership transfer (过户): the account, its meter, card and remaining credit pass to
        `new_partner`; the history stays with the account. Returns the operation."""
        self.ensure_one()
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can change hands."))
        if new_partner == self.partner_id:
            raise UserError(self.env._("The new holder is the current holder."))
        operation = self._record_operation('transfer', old_partner_id=self.partner_id.id,
                                           new_partner_id=new_partner.id, note=note)
        self.with_context(prepaid_operation='transfer').partner_id = new_partner
        return operation

    # ------------------------------------------------------------------ suspend and refund
    def _suspend_and_refund(self, refund_energy, journal, note=None):
        """Suspend and refund (报停退费): pay back `refund_energy` (Decimal, the kWh left on
        the meter, read from it) at the price paid, plus the money balance, out of `journal`;
        the account becomes deactivated and its card invalid. Returns the refund operation,
        from which the refund slip is printed.

        Refused while credit is on its way to the meter (see _check_refundable): the meter
        never learns of the suspension, so credit it has not taken in would be paid twice."""
        self.ensure_one()
        self._check_manager()
        self._lock_for_vend()   # a double click or a twin request waits for nothing: refused
        refund_energy = money.round_energy(refund_energy)
        self._check_refundable(refund_energy, journal)
        price, amount = self._refund_quote(refund_energy)
        payment = self.company_id._post_prepaid_payment(
            self.partner_id, -amount, journal,
            self.env._("Electricity refund, customer %(number)s", number=self.number))
        operation = self._record_operation(
            'refund', refund_energy=float(refund_energy), refund_price=float(price), refund_amount=float(amount),
            amount_before=self.money_balance, payment_id=payment.id, journal_id=journal.id, note=note)
        self._release_meter()
        self.write({'state': 'deactivated', 'money_balance': 0.0, 'is_credit_valid': False})
        return operation

    def _check_refundable(self, refund_energy, journal=None):
        """A translated UserError unless this account can be suspended and refunded now for
        `refund_energy` (Decimal, meter kWh) out of `journal` (when given)."""
        self.ensure_one()
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can be suspended and refunded."))
        if refund_energy < 0:
            raise UserError(self.env._("The refunded energy cannot be negative."))
        # A paid vend waiting for its card write may still land on the card (or already
        # did, its confirmation lost): refunding it or leaving it out would both be wrong.
        waiting = self.env['prepaid.vend'].search(
            [('account_id', '=', self.id), ('meter_id', '=', self.meter_id.id), ('state', '=', 'to_write')],
            order='id desc', limit=1)
        if waiting:
            raise UserError(self.env._(
                "Vend %(vend)s of customer %(number)s is paid but still waiting for its card write: its "
                "credit is neither known on the card nor in the meter. Write it onto the card, have the "
                "customer insert the card into the meter, then read the card so that its write-back is "
                "saved; refund after that.", vend=waiting.name, number=self.number))
        if self.is_credit_valid:
            raise UserError(self.env._(
                "The credit of purchase %(sequence)s is still on the card of customer %(number)s: the meter "
                "would still accept it after the refund. Insert the card into the meter, then read the card "
                "so that its write-back is saved; refund after that.",
                sequence=self.purchase_sequence, number=self.number))
        sold = self._sold_energy()
        if refund_energy > sold:
            raise UserError(self.env._(
                "%(energy)s kWh is more than was ever credited to meter %(meter)s (%(sold)s kWh).",
                energy=money.energy_text(refund_energy), meter=self.meter_id.number,
                sold=money.energy_text(sold)))
        if journal is not None and (journal.type not in ('cash', 'bank') or journal.company_id != self.company_id):
            raise UserError(self.env._("Refund journal %(journal)s is not a cash or bank journal of %(company)s.",
                                       journal=journal.display_name, company=self.company_id.name))

    def _refund_quote(self, refund_energy):
        """(price, amount) paid back for `refund_energy` (Decimal, meter kWh): that energy in
        billing kWh × the price paid, rounded to the station's payment precision, plus the
        money balance."""
        self.ensure_one()
        price = self._refund_price()
        billing_energy = self._meter_rules().to_billing_energy(money.round_energy(refund_energy))
        energy_amount = money.round_money(billing_energy * price, self.station_id.payment_precision)
        return price, energy_amount + to_decimal(self.money_balance)

    def _refund_price(self):
        """The unit price of the customer's last sale (what the energy left cost them); the
        tariff's price when nothing was ever sold."""
        self.ensure_one()
        last_sale = self.env['prepaid.vend'].search(
            [('account_id', '=', self.id), ('kind', '=', 'sale'), ('state', '!=', 'cancelled')],
            order='date desc, id desc', limit=1)
        return money.round_price(to_decimal(last_sale.price if last_sale else self.tariff_id.price, 4))

    # ------------------------------------------------------------------ meter replacement
    def _replace_meter(self, new_meter_number, new_meter_type, remaining_energy, note=None):
        """Meter replacement (换表补电), same meter type only: the new meter `new_meter_number`
        takes over the account and the old meter's `remaining_energy` (Decimal, as the old
        meter shows it) is credited again on it, without payment, as purchase 1. A meter of
        another type needs suspend and refund, then a new account. Returns the operation; its
        vend is the credit to write onto the card."""
        self.ensure_one()
        self._check_manager()
        self._lock_for_vend()
        old_meter = self.meter_id
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can have its meter replaced."))
        if new_meter_type != old_meter.meter_type_id:
            raise UserError(self.env._(
                "The new meter is of another type: suspend and refund this account, then open a "
                "new account for the new meter."))
        remaining = money.round_energy(remaining_energy)     # meter units, as displayed
        if remaining < 0:
            raise UserError(self.env._("The remaining credit cannot be negative."))
        Meter = self.env['prepaid.meter']
        if Meter.search_count([('number', '=', new_meter_number), ('company_id', '=', self.company_id.id)]):
            raise UserError(self.env._("Meter %(meter)s is already registered.", meter=new_meter_number))
        transferred = self._meter_rules().to_billing_energy(remaining)
        new_meter = old_meter.copy({'number': new_meter_number, 'account_id': False, 'state': 'available'})
        old_meter.write({'account_id': False, 'state': 'replaced'})
        self.write({'meter_id': new_meter.id, 'purchase_sequence': 0, 'is_credit_valid': False,
                    'remaining_energy': 0.0, 'over_zero_energy': 0.0})
        new_meter.write({'account_id': self.id, 'state': 'installed'})
        vend = self.env['prepaid.vend'].create(self._prepare_replacement_vend_vals(remaining))
        self.write({'purchase_sequence': 1, 'is_credit_valid': True})
        return self._record_operation(
            'replace', old_meter_id=old_meter.id, new_meter_id=new_meter.id, energy_before=float(remaining),
            energy_after=float(transferred), vend_id=vend.id, note=note)

    def _prepare_replacement_vend_vals(self, remaining):
        """The credit of a meter replacement: `remaining` (Decimal, meter units) on the new
        meter's first card, nothing paid. The new meter deducts its factory preset from its
        first card: it is written on top so that exactly `remaining` reaches the customer."""
        preset = to_decimal(self.station_id.preset_energy)
        return {
            'account_id': self.id, 'meter_id': self.meter_id.id, 'station_id': self.station_id.id,
            'tariff_id': self.tariff_id.id, 'sequence': 1, 'kind': 'replacement', 'method': 'energy',
            'is_first_vend': True, 'energy_bought': 0.0,
            'energy_written': float(remaining + preset), 'preset_deducted': float(preset),
            'energy_net': float(remaining), 'balance_before': self.money_balance,
            'balance_after': self.money_balance,
        }

    # ------------------------------------------------------------------ credit recovery
    def _recover_credit(self, meter_cumulative_energy, note=None):
        """Credit recovery (补电): the credit of the last vend never reached the meter (bad
        insertion). Checked against `meter_cumulative_energy` (Decimal, the total the meter
        says it was credited, from its write-back), the same credit is written again, without
        a new payment, once. Returns the operation; its vend is the credit to write again."""
        self.ensure_one()
        self._check_manager()
        self._lock_for_vend()
        vend = self._last_vend()
        if self.state != 'active' or not vend:
            raise UserError(self.env._("There is no vend of an active account to recover."))
        if vend.is_recovered:
            raise UserError(self.env._("The credit of vend %(name)s has already been recovered once.",
                                       name=vend.name))
        sold = self._sold_energy()
        on_meter = money.round_energy(meter_cumulative_energy)
        if on_meter + to_decimal(vend.energy_net) > sold:
            raise UserError(self.env._(
                "The meter has been credited %(meter)s kWh out of %(sold)s kWh sold: the credit of "
                "vend %(name)s did reach the meter, so there is nothing to recover.",
                meter=on_meter, sold=sold, name=vend.name))
        vend.write({'is_recovered': True, 'state': 'to_write'})
        self.write({'is_credit_valid': True})
        return self._record_operation(
            'recovery', vend_id=vend.id, energy_after=vend.energy_net,
            meter_cumulative_energy=float(on_meter), sold_cumulative_energy=float(sold), note=note)

    # ------------------------------------------------------------------ vending
    def _engine_inputs(self):
        """The plain values the vending engine needs, read from this row only."""
        self.ensure_one()
        station = self.station_id
        period_key = self._current_period_key()
        return dict(
            station=vending.StationRules(
                preset_energy=to_decimal(station.preset_energy),
                payment_precision=money.payment_precision(station.payment_precision),
                energy_step=to_decimal(station.energy_step),
            ),
            meter=self._meter_rules(),
            tariff=self.tariff_id._to_engine(),
            account=vending.AccountState(
                state=self.state,
                is_first_vend=self.purchase_sequence == 0,
                money_balance=to_decimal(self.money_balance),
                period_energy=to_decimal(self.period_energy) if self.period_key == period_key else to_decimal(0),
                is_card_credit_valid=self.is_credit_valid,
                remaining_energy=to_decimal(self.remaining_energy),
                over_zero_energy=to_decimal(self.over_zero_energy),
            ),
        )

    def _meter_rules(self):
        """The meter as the engine sees it (units, multiplier, hoarding limit)."""
        meter = self.meter_id
        return vending.MeterRules(ct_ratio=meter.ct_ratio, pt_ratio=meter.pt_ratio, side=meter.side,
                                  hoarding_limit=to_decimal(meter.hoarding_energy))

    def _current_period_key(self):
        return self.tariff_id._period_key()

    def _quote(self, by, quantity, amount_tendered=None, **state_overrides):
        """The engine's quote for this account, or a translated UserError saying why not.

        `state_overrides` replace fields of the account state, e.g. to re-quote a vend as of
        before it (rewrite)."""
        self.ensure_one()
        if self.meter_id.delivery == 'remote':
            raise UserError(self.env._(
                "Customer %(number)s has a remote meter: top up the balance instead of selling onto a card.",
                number=self.number))
        inputs = self._engine_inputs()
        if state_overrides:
            inputs['account'] = dataclasses.replace(inputs['account'], **state_overrides)
        try:
            return vending.quote(
                request=vending.VendRequest(by=by, quantity=quantity, amount_tendered=amount_tendered),
                **inputs)
        except vending.VendRefused as refusal:
            raise refusal_error(self.env, refusal) from None

    def _lock_for_vend(self):
        """Lock the account row so that two vends of one account can never both succeed:
        the second is told at once instead of selling twice."""
        locked, _served = self._try_lock_for_vend()
        if not locked:
            raise self._busy_error()

    def _lock_for_request(self, client_request_id):
        """Lock this account for the vend (sale or top-up) of `client_request_id`, or return the
        vend already made for it (empty: go on, the lock is held). Lock first, then look the
        request up: a concurrent twin is either committed (found) or still running (it holds the
        lock, and we are refused). A request already served is answered even while another
        station serves the customer."""
        locked, served = self._try_lock_for_vend(client_request_id)
        if served:
            return served._check_same_request(self)
        if not locked:
            raise self._busy_error()
        return served

    def _try_lock_for_vend(self, client_request_id=None):
        """Lock the account row without waiting and, in the same query, look up the vend
        already made for `client_request_id` (as prepaid.vend._find_by_request: unique in the
        account's company). Returns (locked, that vend or nothing). SKIP LOCKED refuses exactly where
        NOWAIT would, but leaves the transaction usable: no savepoint is needed around it."""
        self.ensure_one()
        Vend = self.env['prepaid.vend']
        Vend.flush_model(['client_request_id', 'company_id'])
        rows = self.env.execute_query(SQL("""
            SELECT (SELECT v.id FROM prepaid_vend v WHERE v.client_request_id = %s AND v.company_id = a.company_id)
              FROM prepaid_account a WHERE a.id = %s FOR NO KEY UPDATE SKIP LOCKED
        """, client_request_id, self.id))
        self.invalidate_recordset()
        if not rows:
            return False, Vend._find_by_request(client_request_id, self.company_id) if client_request_id else Vend
        return True, Vend.browse(rows[0][0])

    def _fetch_for_vend(self):
        """Read what a sale reads of this account and of its station, meter and tariff, and
        nothing else: whole rows cost twice as much. A field missing here costs one more
        query, never a wrong value."""
        self.fetch(VEND_READS['account'])
        self.station_id.fetch(VEND_READS['station'])
        self.meter_id.fetch(VEND_READS['meter'])
        self.tariff_id.fetch(VEND_READS['tariff'])

    def _busy_error(self):
        return UserError(self.env._(
            "Customer %(number)s is being served at another station right now. "
            "Wait for that sale to finish, then read the card again.", number=self.number))

    def _vend(self, by, quantity, amount_tendered=None, client_request_id=None, channel='backend',
              extra_vals=None, journal=None):
        """Sell energy to this account and return the vend; with `journal` (a backend sale, a
        kiosk), its payment is posted there, else the POS order pays it.

        Idempotent on `client_request_id`: the same request twice gives the same vend (and
        one payment)."""
        self.ensure_one()
        served = self._lock_for_request(client_request_id)
        if served:
            return served
        self._fetch_for_vend()
        quote = self._quote(by, quantity, amount_tendered)
        vals = self._prepare_vend_vals(quote, client_request_id, channel, extra_vals)
        vend = self.env['prepaid.vend'].create(vals)
        self._apply_quote(quote)
        if journal:
            # sudo: operators take payments without being accountants; the vend is the authority
            vend.sudo()._post_payment(journal)
        return vend

    def _prepare_vend_vals(self, quote, client_request_id, channel, extra_vals):
        return {
            'account_id': self.id,
            'company_id': self.company_id.id,
            'meter_id': self.meter_id.id,
            'station_id': self.station_id.id,
            'tariff_id': self.tariff_id.id,
            'sequence': self.purchase_sequence + 1,
            'method': quote.by,
            'kind': 'sale',
            'energy_bought': float(quote.energy_bought),
            'energy_written': float(quote.energy_written),
            'energy_net': float(quote.energy_net),
            'preset_deducted': float(quote.preset_deducted),
            'over_zero_deducted': float(quote.over_zero_deducted),
            'price': float(quote.unit_price),
            'price_written': float(quote.price_written),
            'tier_detail': [
                {'tier': t.index, 'energy': str(t.energy), 'price': str(t.price), 'amount': str(t.amount)}
                for t in quote.tiers],
            'energy_amount': float(quote.energy_amount),
            'amount_due': float(quote.amount_due),
            'amount_paid': float(quote.amount_tendered),
            'change_amount': float(quote.change),
            'balance_before': float(quote.balance_before),
            'balance_after': float(quote.balance_after),
            'period_energy_before': float(quote.period_energy_before),
            'channel': channel,
            'client_request_id': client_request_id,
            'is_first_vend': quote.is_first_vend,
            **(extra_vals or {}),
        }

    def _apply_quote(self, quote):
        # The vend is the record of this change: no chatter tracking per sale (two million
        # vends must not mean two million tracking messages).
        self.with_context(tracking_disable=True).write({
            'purchase_sequence': self.purchase_sequence + 1,
            'money_balance': float(quote.balance_after),
            'period_key': self._current_period_key(),
            'period_energy': float(quote.period_energy_before + quote.energy_bought),
            'is_credit_valid': True,
            'over_zero_energy': 0.0,
        })

    # ------------------------------------------------------------------ opening
    @api.model
    def _open_account(self, meter_vals, account_vals):
        """Open an account (新表开户) on the meter `meter_vals` describes: a new meter is
        registered, an available one (released by a deactivation) is taken with these values, a
        meter in use is refused. The first purchase follows (wizard: at once; POS: paid with
        the order), then the first card is issued with it."""
        Meter = self.env['prepaid.meter']
        meter = Meter.search([('number', '=', meter_vals['number']),
                              ('company_id', '=', meter_vals['company_id'])], limit=1)
        if meter and meter.state != 'available':
            raise UserError(self.env._("Meter %(meter)s is not available: it is %(state)s.",
                                       meter=meter.number,
                                       state=dict(meter._fields['state']._description_selection(self.env))[meter.state]))
        if meter:
            meter.write({k: v for k, v in meter_vals.items() if k != 'number'})
        else:
            meter = Meter.create(meter_vals)
        account = self.create({**account_vals, 'meter_id': meter.id})
        account._record_operation('open')
        return account

    # ------------------------------------------------------------------ cards
    def _last_vend(self):
        self.ensure_one()
        return self._last_vends()[self]

    def _last_vends(self):
        """Each account's last vend on its current meter (cancelled vends do not count)."""
        return self._latest_of('prepaid.vend', [('state', '!=', 'cancelled')], 'sequence desc, id desc',
                               same_meter=True)

    def _latest_of(self, model, domain, order=None, limit=1, same_meter=False):
        """{account: its first `limit` records of `model` (linked by `account_id`, in `order`)} for
        every account at once: one query however many accounts, each one's records found by an
        index-backed subquery (never the whole history), with the user's access rules."""
        Model = self.env[model]
        query = Model._search(domain, order=order or Model._order, limit=limit)
        outer = SQL.identifier('prepaid_account_outer')
        query.add_where(SQL('%s = %s.id', Model._field_to_sql(query.table, 'account_id', query), outer))
        if same_meter:
            query.add_where(SQL('%s = %s.meter_id', Model._field_to_sql(query.table, 'meter_id', query), outer))
        self.flush_model(['meter_id'])
        rows = dict(self.env.execute_query(SQL(
            'SELECT %s.id, ARRAY(%s) FROM prepaid_account AS %s WHERE %s.id = ANY(%s)',
            outer, query.select(), outer, outer, self.ids)))
        found = Model.browse([record_id for ids in rows.values() for record_id in ids or []])
        # read together: each account's records prefetch those of the others
        return {account: Model.browse(rows.get(account.id) or []).with_prefetch(found._prefetch_ids)
                for account in self}

    def _sold_energy(self):
        """Net energy the system credited to the current meter (meter units), summed in SQL."""
        self.ensure_one()
        [(total,)] = self.env['prepaid.vend']._read_group(
            [('account_id', '=', self.id), ('meter_id', '=', self.meter_id.id), ('state', '!=', 'cancelled')],
            aggregates=['energy_net:sum'])
        return to_decimal(total)

    def _issue_card(self, serial_hex):
        """Issue a new (blank) card to this account at opening: returns the card job that
        writes the first vend onto it and replaces the transport PSC."""
        self.ensure_one()
        # a second card of the same account would be a reissue, which is the managers'
        if self.card_id:
            raise UserError(self.env._(
                "Customer %(number)s already has card %(serial)s: a lost or broken card is reissued by a manager.",
                number=self.number, serial=self.card_id.serial))
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can get a new card."))
        if not self._last_vend():
            raise UserError(self.env._(
                "Customer %(number)s has no purchase yet: the first card is issued with the first purchase, "
                "once it is paid.", number=self.number))
        self.card_id = self.env['prepaid.card']._new_card_for(self, serial_hex)
        return self._last_vend()._card_job(present_psc=card_crypto.TRANSPORT_PSC)

    def _reissue_card(self, serial_hex):
        """Reissue (补卡) on a blank card with identical data and no extra credit: the last
        vend's image with its credit flag as it stands. The old card is refused from now on."""
        self.ensure_one()
        self._check_manager()
        if self.state != 'active':
            raise UserError(self.env._("Only an active account can get a new card."))
        old = self.card_id
        if old and old.serial == serial_hex:
            raise UserError(self.env._("This is the customer's current card: take a blank card."))
        new = self.env['prepaid.card']._new_card_for(self, serial_hex, previous=old)
        if old:
            old.write({'state': 'replaced', 'replaced_by_id': new.id})
        self.card_id = new
        self._record_operation('reissue', note=self.env._("Card %(old)s replaced by %(new)s.",
                                                          old=old.serial or '-', new=serial_hex))
        return self._last_vend()._card_job(present_psc=card_crypto.TRANSPORT_PSC,
                                           credit_valid=self.is_credit_valid)

    def _write_new_card(self, bridge, reissue=False):
        """Put this customer on the blank card now in `bridge`'s reader and queue its write
        there: the first card (issue) or, for managers, a replacement (reissue). The one way
        the backend and the Point of Sale hand out a new card; returns the card job."""
        self.ensure_one()
        if not bridge.card_serial:
            raise UserError(self.env._("Put a blank card in the reader of %(bridge)s first.", bridge=bridge.name))
        if reissue:
            card_job = self._reissue_card(bridge.card_serial)
        else:
            card_job = self._issue_card(bridge.card_serial)
        # a reissue keeps the credit flag as it stands; a first card carries the first purchase
        credit_valid = self.is_credit_valid if reissue else True
        return self.env['prepaid.card.job']._create_for(bridge, 'write', card_job, self._last_vend(),
                                                        credit_valid=credit_valid)

    # ------------------------------------------------------------------ helpers
    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a vending manager may do this."))

    def _release_meter(self):
        for account in self:
            if account.meter_id.account_id == account:
                account.meter_id.write({'account_id': False, 'state': 'available'})

    def _record_operation(self, kind, **vals):
        return self.env['prepaid.operation'].create([
            {'account_id': account.id, 'kind': kind, **vals} for account in self])

    @api.model
    def _demo_vend(self, account_ids, by, quantity):
        """Demo data helper: a first sale, as an operator makes it with Sell Electricity (the
        vend and its payment in the company's cash journal), so the demo day reconciles."""
        for account in self.browse(account_ids):
            self.env['prepaid.vend.create'].create({
                'account_id': account.id, 'method': by, 'quantity': quantity,
            }).action_confirm()

    def _apply_write_back(self, remaining_energy, over_zero_energy, is_credit_consumed):
        """Take in what the meter wrote back onto the card (remaining and over-zero energy,
        whether it consumed the credit). Read from the card by the card layer."""
        self.ensure_one()
        vals = {'remaining_energy': float(remaining_energy), 'over_zero_energy': float(over_zero_energy)}
        if is_credit_consumed:
            vals['is_credit_valid'] = False
        self.write(vals)
