from datetime import UTC

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import card_format
from ..tools import ENERGY_DIGITS, PRICE_DIGITS, to_decimal


class PrepaidVend(models.Model):
    """One purchase (购电): what was sold, at what price, what goes onto the card.

    A vend is created once per request (idempotent on `client_request_id`) and never deleted;
    corrections go through a rewrite, which keeps its own audit record."""
    _name = 'prepaid.vend'
    _description = 'Electricity Vend'
    _inherit = ['mail.thread', 'pos.load.mixin']
    _order = 'date desc, id desc'
    # No company check on create: a vend is only made from its account's own company, meter,
    # station and tariff (prepaid.account._prepare_vend_vals), which the account's check
    # already keeps in one company.
    _check_company_auto = False

    name = fields.Char(string='Reference', readonly=True, copy=False, default='/', index='trigram')
    date = fields.Datetime(default=fields.Datetime.now, readonly=True, required=True, index=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True,
                                 readonly=True, index=True, check_company=True)
    # precompute: stored with the INSERT of the vend, not by an UPDATE when it is flushed
    partner_id = fields.Many2one(related='account_id.partner_id', store=True, precompute=True, string='Customer')
    account_number = fields.Char(related='account_id.number', string='Customer Number')
    meter_number = fields.Char(related='meter_id.number', string='Meter Number')
    customer_name = fields.Char(related='partner_id.name', string='Customer Name')
    station_name = fields.Char(related='station_id.name', string='Station Name')
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, check_company=True)
    station_id = fields.Many2one('prepaid.station', required=True, readonly=True, check_company=True)
    area_id = fields.Many2one(related='account_id.area_id', store=True, precompute=True)
    tariff_id = fields.Many2one('prepaid.tariff', required=True, readonly=True)
    user_id = fields.Many2one('res.users', string='Operator', default=lambda self: self.env.user,
                              readonly=True, index=True)
    company_id = fields.Many2one('res.company', required=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    sequence = fields.Integer(string='Purchase Sequence', readonly=True)
    kind = fields.Selection(
        [('sale', 'Sale'), ('replacement', 'Meter Replacement Credit'), ('topup', 'Top-up')],
        default='sale', required=True, readonly=True,
        help="A sale is paid for and written onto the card; a meter replacement credit moves the old "
             "meter's remaining credit and is not paid; a top-up is paid into a remote meter's balance.")
    method = fields.Selection([('energy', 'By Energy'), ('money', 'By Money')], required=True, readonly=True)
    channel = fields.Selection(
        [('backend', 'Backend'), ('pos', 'Point of Sale'), ('kiosk', 'Kiosk')],
        default='backend', required=True, readonly=True)
    kiosk_transaction_ids = fields.One2many('prepaid.kiosk.transaction', 'vend_id', readonly=True)
    is_first_vend = fields.Boolean(readonly=True)
    energy_bought = fields.Float(digits=ENERGY_DIGITS, readonly=True, tracking=True,
                                 help="Energy the customer paid for (kWh, primary side).")
    energy_written = fields.Float(digits=ENERGY_DIGITS, readonly=True,
                                  help="Credit written to the card, after the CT/PT effect.")
    energy_net = fields.Float(string='Net Energy', digits=ENERGY_DIGITS, readonly=True,
                              help="Energy the customer gets after the preset and over-zero deductions.")
    preset_deducted = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    over_zero_deducted = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    price = fields.Float(string='Unit Price', digits=PRICE_DIGITS, readonly=True)
    price_written = fields.Float(string='Price Written to Meter', digits=PRICE_DIGITS, readonly=True)
    tier_detail = fields.Json(string='Tier Split', readonly=True)
    tier_summary = fields.Char(compute='_compute_tier_summary', string='Tiers')
    period_energy_before = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    energy_amount = fields.Monetary(readonly=True, tracking=True,
                                    help="Cost of the energy, rounded to the payment precision.")
    amount_due = fields.Monetary(readonly=True, tracking=True,
                                 help="What the customer pays: the energy amount, less the money balance "
                                      "used, plus the balance carried.")
    # What the sale was sold for: a rewrite changes the vend, not these; the reports count
    # each rewrite's difference on its own, under who settled it, when and how it was paid.
    sold_energy = fields.Float(digits=ENERGY_DIGITS, readonly=True, compute='_compute_sold', store=True,
                               precompute=True, help="Energy bought at the sale, before any rewrite.")
    sold_amount = fields.Monetary(readonly=True, compute='_compute_sold', store=True, precompute=True,
                                  help="Amount due at the sale, before any rewrite.")
    amount_paid = fields.Monetary(string='Amount Tendered', readonly=True)
    change_amount = fields.Monetary(string='Change', readonly=True)
    balance_before = fields.Monetary(readonly=True)
    balance_after = fields.Monetary(readonly=True)
    state = fields.Selection(
        [('to_write', 'Waiting for Card Write'), ('written', 'Written'), ('credited', 'Credited to the Balance'),
         ('cancelled', 'Cancelled')],
        default='to_write', required=True, readonly=True, tracking=True, index=True)
    is_recovered = fields.Boolean(string='Credit Recovered', readonly=True,
                                  help="The credit of this vend was restored once by a credit recovery.")
    rewrite_count = fields.Integer(readonly=True)
    receipt_print_count = fields.Integer(readonly=True, copy=False,
                                         help="Receipts printed; every print after the first is a copy.")
    pos_order_line_id = fields.Many2one('pos.order.line', string='POS Order Line', readonly=True,
                                        index='btree_not_null', copy=False)
    pos_order_id = fields.Many2one(related='pos_order_line_id.order_id', string='POS Order')
    payment_id = fields.Many2one('account.payment', readonly=True, index='btree_not_null', copy=False,
                                 help="The payment posted for this vend (backend sales).")
    client_request_id = fields.Char(readonly=True, copy=False,
                                    help="Identifier sent by the client; the same request twice "
                                         "gives this same vend.")

    _client_request_uniq = models.UniqueIndex(
        '(company_id, client_request_id) WHERE client_request_id IS NOT NULL',
        "This request has already been processed.")
    _account_sequence_idx = models.Index('(account_id, sequence)')
    # The sales as prepaid.sales.report counts them, by date, with what the yearly summary
    # filters and sums: a year of vends is read from this index alone (index-only scan).
    _report_date_idx = models.Index(
        "(date) INCLUDE (company_id, account_id, area_id, sold_amount, sold_energy)"
        " WHERE kind = 'sale' AND state != 'cancelled'")

    # ------------------------------------------------------------------ point of sale
    @api.model
    def _load_pos_data_domain(self, data, config):
        return False    # nothing preloaded: the vends of an order come back with the order

    @api.model
    def _load_pos_data_fields(self, config):
        return ['id', 'name', 'account_id', 'account_number', 'customer_name', 'meter_number', 'station_name',
                'sequence', 'date', 'energy_bought', 'energy_written', 'energy_net', 'price', 'amount_due',
                'balance_after', 'state', 'kind']

    @api.depends()    # fixed when the vend is made: never recomputed by a rewrite
    def _compute_sold(self):
        # a vend made before these fields existed: its amount less its rewrites' differences
        rewrites = {vend.id: figures for vend, *figures in self.env['prepaid.operation']._read_group(
            [('kind', '=', 'rewrite'), ('vend_id', 'in', self.ids)], ['vend_id'],
            ['energy_after:sum', 'energy_before:sum', 'amount_after:sum', 'amount_before:sum'])} if self.ids else {}
        for vend in self:
            energy_after, energy_before, amount_after, amount_before = rewrites.get(vend.id, (0.0, 0.0, 0.0, 0.0))
            vend.sold_energy = vend.energy_bought - (energy_after - energy_before)
            vend.sold_amount = vend.amount_due - (amount_after - amount_before)

    @api.depends('tier_detail')
    def _compute_tier_summary(self):
        for vend in self:
            vend.tier_summary = '; '.join(
                f"{t['energy']} kWh × {t['price']}" for t in (vend.tier_detail or []))

    @api.model_create_multi
    def create(self, vals_list):
        # One reference sequence for every company (data/ir_sequence_data.xml), taken by its
        # (cached) xml id: a sale saves the search that next_by_code makes for it.
        # sudo: operators may not read ir.sequence (next_by_code takes it with sudo too)
        sequence = self.env['ir.sequence'].sudo().browse(
            self.env['ir.model.data']._xmlid_to_res_id('prepaid_electricity.seq_prepaid_vend'))
        for vals in vals_list:
            if vals.get('name', '/') == '/':
                vals['name'] = sequence._next()
        # A vend is its own record of the sale: none of the chatter's work at creation (no
        # "created" message, followers or tracking); later changes (rewrites) are tracked.
        vends = super(PrepaidVend, self.with_context(tracking_disable=True)).create(vals_list)
        return vends.with_env(self.env)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_always(self):
        raise UserError(self.env._("Vends are never deleted; they are part of the financial history."))

    def _find_by_request(self, client_request_id, company):
        return self.search([('client_request_id', '=', client_request_id), ('company_id', '=', company.id)], limit=1)

    def _check_same_request(self, account):
        """A repeated request must be for the same account; otherwise the id was reused."""
        self.ensure_one()
        if self.account_id != account:
            raise UserError(self.env._(
                "Request %(request)s was already used for customer %(number)s.",
                request=self.client_request_id, number=self.account_id.number))
        return self

    def _is_last_vend(self):
        self.ensure_one()
        return self.sequence == self.account_id.purchase_sequence and self.meter_id == self.account_id.meter_id

    # ------------------------------------------------------------------ accounting
    def _post_payment(self, journal):
        """Post the customer's payment of a backend vend in `journal`, against the company's
        prepaid electricity liability (or revenue). Nothing is posted for a zero amount."""
        self.ensure_one()
        if self.payment_id or not self.amount_due:
            return self.payment_id
        payment = self.company_id._post_prepaid_payment(
            self.partner_id, self.amount_due, journal,
            self.env._("Electricity %(vend)s, customer %(number)s", vend=self.name, number=self.account_id.number))
        self.payment_id = payment
        return payment

    # ------------------------------------------------------------------ rewrite
    def _check_rewritable(self):
        """Only the customer's last sale, while its credit is still on the card (改写卡内电量)."""
        self.ensure_one()
        if self.kind != 'sale' or self.state == 'cancelled' or not self._is_last_vend():
            raise UserError(self.env._("Only the customer's last sale can be rewritten."))
        if not self.account_id.is_credit_valid:
            raise UserError(self.env._(
                "The credit of vend %(name)s has already reached the meter: it can no longer be "
                "rewritten. Sell a new vend instead.", name=self.name))

    def _rewrite_quote(self, by, quantity, amount_tendered=None):
        """The quote of the corrected purchase, as the account stood just before this vend."""
        self._check_rewritable()
        return self.account_id._quote(
            by, quantity, amount_tendered, is_first_vend=self.is_first_vend,
            money_balance=to_decimal(self.balance_before),
            period_energy=to_decimal(self.period_energy_before), is_card_credit_valid=False,
            over_zero_energy=to_decimal(self.over_zero_deducted))

    def _rewrite(self, by, quantity, amount_tendered=None, client_request_id=None, journal=None,
                 operation_vals=None):
        """Rewrite this vend's credit: the vend itself changes (tracked in its chatter), no new
        vend and no new purchase number. Returns the rewrite operation; its amount_after -
        amount_before is the money the customer pays (or gets back) for the difference, posted
        in `journal` when given (backend), else settled by the POS line in `operation_vals`.

        Idempotent on `client_request_id`: the same request twice gives the same operation."""
        self.ensure_one()
        Operation = self.env['prepaid.operation']
        account = self.account_id
        existing = Operation._find_rewrite(client_request_id, self)
        if existing:
            return existing
        account._lock_for_vend()
        # again under the lock: a concurrent twin may have committed meanwhile
        existing = Operation._find_rewrite(client_request_id, self)
        if existing:
            return existing
        quote = self._rewrite_quote(by, quantity, amount_tendered)
        before = {'energy_before': self.energy_bought, 'amount_before': self.amount_due}
        vals = account._prepare_vend_vals(quote, self.client_request_id, self.channel, None)
        for key in ('account_id', 'company_id', 'meter_id', 'station_id', 'sequence', 'kind', 'channel',
                    'client_request_id'):
            vals.pop(key)
        self.write({**vals, 'rewrite_count': self.rewrite_count + 1, 'state': 'to_write'})
        account.with_context(tracking_disable=True).write({
            'money_balance': float(quote.balance_after),
            'period_energy': float(quote.period_energy_before + quote.energy_bought),
        })
        payment = journal and self.company_id._post_prepaid_payment(
            self.partner_id, quote.amount_due - to_decimal(before['amount_before']), journal,
            self.env._("Electricity %(vend)s rewritten, customer %(number)s",
                       vend=self.name, number=account.number))
        return account._record_operation(
            'rewrite', vend_id=self.id, client_request_id=client_request_id, **before,
            energy_after=float(quote.energy_bought), amount_after=float(quote.amount_due),
            payment_id=payment and payment.id, **(operation_vals or {}))

    # ------------------------------------------------------------------ card
    def _card_image(self):
        """Everything this vend puts on the card, in the card's format."""
        self.ensure_one()
        account, meter, station = self.account_id, self.meter_id, self.station_id
        return card_format.CardImage(
            card_type='purchase', key_version=station.key_version,
            credit_unit='money' if meter.credit_unit == 'money' else 'energy',
            station_code=station.code, customer_number=account.number, meter_number=meter.number,
            sequence=self.sequence, credit=to_decimal(self.energy_written),
            alarm=to_decimal(meter.alarm_energy), pretrip=to_decimal(meter.pretrip_energy),
            hoarding=to_decimal(meter.hoarding_energy), price=to_decimal(self.price_written, 4),
            ct_ratio=meter.ct_ratio, pt_ratio=meter.pt_ratio, issued_at=int(self.date.replace(tzinfo=UTC).timestamp()),
            terminal=station.id, preset=to_decimal(station.preset_energy))

    def _card_job(self, present_psc=None, credit_valid=True):
        """The card job that writes this vend onto the customer's current card. Only the
        account's last vend can be written; writing it again never adds credit (same sequence)."""
        self.ensure_one()
        card = self._card_to_write()
        if present_psc is None:
            present_psc = card._psc_to_present(bytes.fromhex(card.serial))
        return self.env['prepaid.card']._job(self.station_id, card.serial, self._card_image(), present_psc,
                                             credit_valid=credit_valid)

    def _card_to_write(self):
        """The customer's current card, when this vend is the one to write onto it."""
        if self.state == 'cancelled':
            raise UserError(self.env._("Vend %(name)s is cancelled.", name=self.name))
        card = self.account_id.card_id
        if not card:
            raise UserError(self.env._("Customer %(number)s has no card: issue one first.",
                                       number=self.account_id.number))
        if not self._is_last_vend():
            raise UserError(self.env._("Only the customer's last vend can be written to the card."))
        return card

    def _check_card_write(self):
        """Refuse at once, when the write is queued, a write that could not be carried out
        (minting it checks the same again, in _card_job). Reads nothing more than the sale did."""
        self.ensure_one()
        self._card_to_write()
        self.env['prepaid.card']._station_master_key(self.station_id)

    def _queue_card_write(self, bridge):
        """Ask `bridge` to write this vend onto the customer's card (retries write the same
        image: never a new credit). The sale only queues the job: its image and sealed PSCs are
        minted from this vend when the bridge takes it (prepaid.card.job._mint)."""
        self._check_card_write()
        # sudo: operators queue jobs; the job model seals the PSC with the bridge secret (when minted)
        return self.env['prepaid.card.job'].sudo()._create_for(bridge, 'write', vend=self)

    def _confirm_card_write(self, raw_after, credit_valid=True):
        """The bridge read the card back after writing: the vend counts as written only when
        the card holds exactly this vend's image."""
        self.ensure_one()
        card = self.account_id.card_id
        expected = self._card_job(present_psc=b'', credit_valid=credit_valid)['writes']
        raw_after = bytes(raw_after or b'')
        matches = len(raw_after) >= card_format.CARD_SIZE and card_format.serial_of(raw_after).hex() == card.serial \
            and all(raw_after[address:address + len(data)] == data for address, data in expected.items())
        if not matches:
            raise UserError(self.env._(
                "The card does not hold vend %(name)s: the write did not complete. The vend is still "
                "waiting for its card write; write it again.", name=self.name))
        card.write({'key_version': self.station_id.key_version, 'is_psc_set': True})
        if self.state == 'to_write':
            self.state = 'written'
        return True
