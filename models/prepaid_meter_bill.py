from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import remote_billing
from ..engine.tariff import TOU_BANDS
from ..tools import ENERGY_DIGITS, PRICE_DIGITS, bulk, to_decimal
from .prepaid_meter_reading import REGISTER_FIELDS


class PrepaidMeterBill(models.Model):
    """One day's electricity of a remote meter, billed against its account's money balance:
    each time-of-use band's delta × its price (flat: the total's delta × the price), rounded
    once to the cent (engine.remote_billing). A move-out bills the meter's current registers."""
    _name = 'prepaid.meter.bill'
    _description = 'Remote Meter Bill'
    _order = 'day desc, id desc'
    _rec_name = 'day'
    _check_company_auto = True

    kind = fields.Selection([('daily', 'Daily Frozen Reading'), ('move_out', 'Move-out Reading')],
                            default='daily', required=True, readonly=True)
    day = fields.Date(required=True, readonly=True, index=True)
    # indexed with the day below
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, ondelete='restrict')
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True, readonly=True,
                                 index=True, ondelete='restrict')
    partner_id = fields.Many2one(related='account_id.partner_id', string='Customer')
    area_id = fields.Many2one(related='account_id.area_id', string='Area')
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    tariff_id = fields.Many2one('prepaid.tariff', readonly=True)
    reading_id = fields.Many2one('prepaid.meter.reading', readonly=True,
                                 help="The frozen reading this bill ends at (empty for a move-out reading).")
    from_at = fields.Datetime(string='Registers From', readonly=True,
                              help="Time of the registers the bill starts from.")
    to_at = fields.Datetime(string='Registers To', readonly=True, help="Time of the registers the bill ends at.")
    from_total = fields.Float(string='Start Total (kWh)', digits=ENERGY_DIGITS, readonly=True)
    to_total = fields.Float(string='End Total (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy = fields.Float(string='Energy (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy_sharp = fields.Float(string='Sharp (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy_peak = fields.Float(string='Peak (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy_flat = fields.Float(string='Flat (kWh)', digits=ENERGY_DIGITS, readonly=True)
    energy_valley = fields.Float(string='Valley (kWh)', digits=ENERGY_DIGITS, readonly=True)
    price_sharp = fields.Float(digits=PRICE_DIGITS, readonly=True)
    price_peak = fields.Float(digits=PRICE_DIGITS, readonly=True)
    price_flat = fields.Float(digits=PRICE_DIGITS, readonly=True)
    price_valley = fields.Float(digits=PRICE_DIGITS, readonly=True)
    price = fields.Float(string='Price (flat tariff)', digits=PRICE_DIGITS, readonly=True)
    amount = fields.Monetary(readonly=True)
    balance_before = fields.Monetary(readonly=True)
    balance_after = fields.Monetary(readonly=True)
    # the engine's notes as codes: the note reads in the reader's language
    note_codes = fields.Char(readonly=True)
    note = fields.Char(compute='_compute_note', help="Why a register billed less than it moved (start reading, "
                                                     "rollover, reset or replaced meter, first reading).")
    move_id = fields.Many2one('account.move', string='Consumption Entry', readonly=True, index='btree_not_null',
                              help="The journal entry that moved this amount from the prepaid liability to revenue.")

    _meter_day_idx = models.Index('(meter_id, day)')

    # ------------------------------------------------------------------ billing
    @api.model
    def _bill_readings(self, readings):
        """Bill each new reading of `readings` once, oldest first per meter, from the registers
        its meter was last taken at; a reading at or before them bills nothing (a day read
        again, or caught up after a later day). A meter without an account takes the reading
        as its base. Then the accounts' strategy. Returns the bills made.

        A day of 100,000 meters comes in reports of a few thousand readings: everything is read
        in a few queries and written with one statement per table (tools.bulk)."""
        for model in ('prepaid.meter.reading', 'prepaid.meter', 'prepaid.account'):
            self.env[model].flush_model()
        # plain rows, not records: this loop runs 100,000 times a day
        reading_rows = self.env.execute_query(SQL(f"""
            SELECT id, meter_id, day, COALESCE(freeze_time, read_time), {', '.join(REGISTER_FIELDS)}
              FROM prepaid_meter_reading WHERE id = ANY(%s)
             ORDER BY meter_id, COALESCE(freeze_time, read_time), day""", readings.ids))
        meter_rows = self.env.execute_query(SQL(f"""
            SELECT m.id, m.billed_at, m.billed_day, m.start_reading_passed, m.start_reading,
                   a.id, a.company_id, a.tariff_id, a.money_balance, a.period_key, a.period_energy,
                   {', '.join(f'm.billed_{name}' for name in REGISTER_FIELDS)}
              FROM prepaid_meter m LEFT JOIN prepaid_account a ON a.id = m.account_id AND a.state = 'active'
             WHERE m.id = ANY(%s)""", list({row[1] for row in reading_rows})))
        Tariff = self.env['prepaid.tariff']
        bases, starts, tenants, balances, engines = {}, {}, {}, {}, {}
        for meter_id, billed_at, billed_day, passed, start, account_id, company_id, tariff_id, balance, \
                period_key, period_energy, *billed in meter_rows:
            previous = remote_billing.Registers(*map(to_decimal, billed)) if billed_at else None
            bases[meter_id] = (previous, billed_at, billed_day, passed)
            starts[meter_id] = to_decimal(start)
            if account_id:
                tariff = Tariff.browse(tariff_id)
                key = tariff._period_key()
                tenants[meter_id] = (account_id, company_id, tariff)
                # [balance, energy billed in the tariff's period, that period]
                balances[account_id] = [to_decimal(balance), to_decimal(period_energy if period_key == key else 0),
                                        key]
                engines.setdefault(tariff, tariff._to_engine())
        bill_rows, reading_notes = [], []
        for reading_id, meter_id, day, at, *values in reading_rows:
            previous, billed_at, billed_day, passed = bases[meter_id]
            if billed_at and at <= billed_at:
                reading_notes.append((reading_id, 'already_billed'))
                continue
            registers = remote_billing.Registers(*map(to_decimal, values))
            if meter_id in tenants:
                account_id, company_id, tariff = tenants[meter_id]
                state = balances[account_id]
                vals = self._bill_vals(meter_id, account_id, company_id, tariff, engines[tariff], starts[meter_id],
                                       previous, billed_at, passed, registers, at, state[0], state[1])
                state[0], state[1] = vals['balance_after'], state[1] + vals['energy']
                bill_rows.append({**vals, 'day': day, 'reading_id': reading_id, 'kind': 'daily'})
            else:
                reading_notes.append((reading_id, 'no_customer'))
            bases[meter_id] = (registers, at, day, passed or registers.total >= starts[meter_id])
        bills = self._insert(bill_rows)
        if bills:
            # the ledger follows in the background: one entry for all the bills of a day so far
            self.env.ref('prepaid_electricity.ir_cron_post_consumption')._trigger()
        Reading, Meter, Account = (self.env[name] for name in (
            'prepaid.meter.reading', 'prepaid.meter', 'prepaid.account'))
        bulk.update_rows(Reading, ['billing_state'], reading_notes)
        bulk.update_rows(Meter, ['billed_at', 'billed_day', 'start_reading_passed', *[
            f'billed_{name}' for name in REGISTER_FIELDS]], [
            (meter_id, at, day, passed, *[getattr(registers, name) for name in REGISTER_FIELDS])
            for meter_id, (registers, at, day, passed) in bases.items() if registers is not None])
        billed = sorted({row['account_id'] for row in bill_rows})
        bulk.update_rows(Account, ['money_balance', 'period_energy', 'period_key'], [
            (account_id, *balances[account_id]) for account_id in billed])
        Account.browse(billed)._apply_strategy()
        return bills

    def _insert(self, rows):
        """Insert bills given as dicts of one set of keys (in one statement)."""
        if not rows:
            return self.browse()
        columns = list(rows[0])
        return self.browse(bulk.insert_rows(self, columns, [tuple(row[name] for name in columns) for row in rows]))

    @api.model
    def _bill_vals(self, meter_id, account_id, company_id, tariff, engine_tariff, start_reading, previous, previous_at,
                   start_passed, registers, at, balance_before, period_energy):
        """What billing meter `meter_id` from `previous` (its registers at `previous_at`, None
        before its first reading; the start reading applies until it was passed) up to
        `registers` (taken at `at`) costs account `account_id` on `tariff` (`engine_tariff`: the
        same as the engine's), as the values of a bill (Decimal figures; nothing is written)."""
        start = to_decimal(0) if start_passed else start_reading
        bill = remote_billing.bill_day(previous, registers, engine_tariff, start, period_energy)
        tou = tariff.kind == 'tou'
        prices = {f'price_{band}': to_decimal(tariff[f'price_{band}'], 4) if tou else to_decimal(0)
                  for band in TOU_BANDS}
        return {
            'meter_id': meter_id, 'account_id': account_id, 'company_id': company_id,
            'tariff_id': tariff.id, 'from_at': previous_at or None, 'to_at': at,
            'from_total': previous.total if previous else start_reading,
            'to_total': registers.total, 'energy': bill.deltas.total,
            **{f'energy_{band}': getattr(bill.deltas, band) for band in TOU_BANDS},
            'price': to_decimal(0 if tou else tariff.price, 4), **prices,
            'amount': bill.amount, 'balance_before': balance_before, 'balance_after': balance_before - bill.amount,
            'note_codes': ','.join(bill.notes) or None,
        }

    @api.depends('note_codes')
    @api.depends_context('lang')
    def _compute_note(self):
        texts = {'before_start': self.env._("below the start reading"), 'rollover': self.env._("register rollover"),
                 'reset': self.env._("register went back: meter reset or replaced, nothing billed"),
                 'first': self.env._("first reading, billed from the start reading")}
        for bill in self:
            bill.note = '; '.join(texts[code] for code in (bill.note_codes or '').split(',') if code) or False

    # ------------------------------------------------------------------ ledger
    @api.model
    def _post_consumption(self):
        """The ledger of the bills not posted yet (the cron triggered by each billing, and
        managers' *Post Consumption Now*): one consumption entry per company and day, which the
        bills of that day then point to. Returns the entries."""
        self.flush_model(['company_id', 'day', 'amount', 'move_id'])
        # sudo: runs as the cron's user or a manager; bills of every company are posted
        rows = self.env.execute_query(SQL(
            "SELECT company_id, day, SUM(amount) FROM prepaid_meter_bill WHERE move_id IS NULL AND amount != 0"
            " GROUP BY company_id, day ORDER BY day, company_id"))
        Company = self.env['res.company'].sudo()
        moves = self._consumption_moves({(Company.browse(company_id), day): to_decimal(amount)
                                         for company_id, day, amount in rows})
        for (company, day), move_id in moves.items():
            self.env.execute_query(SQL(
                "UPDATE prepaid_meter_bill SET move_id = %s WHERE move_id IS NULL AND amount != 0"
                " AND company_id = %s AND day = %s", move_id, company.id, day))
        self.invalidate_model(['move_id'])
        return self.env['account.move'].browse(moves.values())

    @api.model
    def _consumption_moves(self, amounts):
        """Move billed money from the prepaid liability to revenue (the electricity was
        delivered, the prepayment earned): one posted journal entry per (company, day) of
        `amounts` ({(company, day): Decimal}); returns {(company, day): entry id}. Nothing to
        move when the company posts sales straight to revenue, or for a zero amount."""
        # sudo: billing runs for the head-end or a manager, neither of them an accountant
        Move = self.env['account.move'].sudo()
        moves = {}
        for (company, day), amount in amounts.items():
            if company.prepaid_income_mode != 'liability' or not amount:
                continue
            amount = float(amount)
            liability = company.sudo()._prepaid_income_account()
            revenue = company.sudo()._prepaid_revenue_account()
            label = self.env._("Electricity consumed on %(day)s (remote meters)", day=day)
            move = Move.create({
                'move_type': 'entry', 'date': day, 'journal_id': company._prepaid_consumption_journal().id,
                'company_id': company.id, 'ref': label,
                'line_ids': [
                    fields.Command.create({'name': label, 'account_id': liability.id,
                                           'debit': max(amount, 0.0), 'credit': max(-amount, 0.0)}),
                    fields.Command.create({'name': label, 'account_id': revenue.id,
                                           'credit': max(amount, 0.0), 'debit': max(-amount, 0.0)}),
                ],
            })
            move.action_post()
            moves[company, day] = move.id
        return moves
