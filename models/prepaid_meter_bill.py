from collections import defaultdict

from odoo import api, fields, models

from ..engine import remote_billing
from ..tools import ENERGY_DIGITS, PRICE_DIGITS, to_decimal
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
    meter_id = fields.Many2one('prepaid.meter', required=True, readonly=True, index=True, ondelete='restrict')
    account_id = fields.Many2one('prepaid.account', string='Customer Account', required=True, readonly=True,
                                 index=True, ondelete='restrict')
    partner_id = fields.Many2one(related='account_id.partner_id', string='Customer')
    area_id = fields.Many2one(related='account_id.area_id', string='Area')
    company_id = fields.Many2one('res.company', required=True, readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    tariff_id = fields.Many2one('prepaid.tariff', readonly=True)
    reading_id = fields.Many2one('prepaid.meter.reading', readonly=True,
                                 help="The frozen reading this bill ends at (empty for a move-out reading).")
    from_at = fields.Datetime(string='Registers From', readonly=True, help="Time of the registers the bill starts from.")
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
    note = fields.Char(readonly=True, help="Why a register billed less than it moved (start reading, rollover, "
                                           "reset or replaced meter, first reading).")
    move_id = fields.Many2one('account.move', string='Consumption Entry', readonly=True, index='btree_not_null',
                              help="The journal entry that moved this amount from the prepaid liability to revenue.")

    _meter_day_kind_idx = models.Index('(meter_id, day)')

    # ------------------------------------------------------------------ billing
    @api.model
    def _bill_readings(self, readings):
        """Bill each new reading of `readings` once, oldest first per meter, from the registers
        its meter was last read at; a reading at or before them bills nothing (a day read
        again, or caught up after a later day). A meter without an account takes the reading
        as its base. Returns the bills made; the accounts' strategy runs after."""
        readings = readings.sorted(lambda r: (r.meter_id.id, r.freeze_time or r.read_time, r.day))
        readings.meter_id.fetch(['account_id', 'billed_at', 'billed_day', 'start_reading', 'start_reading_passed', *[
            f'billed_{name}' for name in REGISTER_FIELDS]])
        vals_list, billed_readings, accounts = [], [], self.env['prepaid.account']
        balances = {}
        for reading in readings:
            meter = reading.meter_id
            at = reading.freeze_time or reading.read_time
            if meter.billed_at and at <= meter.billed_at:
                reading.billing_note = self.env._("Already billed up to %(day)s.", day=meter.billed_day)
                continue
            account = meter.account_id if meter.account_id.state == 'active' else self.env['prepaid.account']
            if account:
                balance = balances.setdefault(account, to_decimal(account.money_balance))
                vals = self._bill_vals(meter, account, reading._registers(), at, balance)
                vals.update(reading_id=reading.id, day=reading.day)
                balances[account] = to_decimal(vals['balance_after'])
                vals_list.append(vals)
                billed_readings.append(reading)
                accounts |= account
            else:
                reading.billing_note = self.env._("No customer on the meter: taken as its base.")
            meter._take_registers(reading._registers(), at, reading.day)
        bills = self.create(vals_list)
        for bill, reading in zip(bills, billed_readings, strict=True):
            reading.bill_id = bill
        for account in accounts:
            account._apply_bills(balances[account], bills.filtered(lambda b, a=account: b.account_id == a))
        bills._post_consumption()
        return bills

    @api.model
    def _bill_vals(self, meter, account, registers, at, balance_before):
        """What billing `meter` from its last registers up to `registers` (taken at `at`) costs
        `account`, as the values of a bill (nothing is written)."""
        tariff = account.tariff_id
        previous = meter._billed_registers()
        period_energy = to_decimal(account.period_energy) if account.period_key == account._current_period_key() \
            else to_decimal(0)
        bill = remote_billing.bill_day(previous, registers, tariff._to_engine(), meter._billing_start(), period_energy)
        notes = {'before_start': self.env._("below the start reading"), 'rollover': self.env._("register rollover"),
                 'reset': self.env._("register went back: meter reset or replaced, nothing billed"),
                 'first': self.env._("first reading, billed from the start reading")}
        return {
            'meter_id': meter.id, 'account_id': account.id, 'company_id': account.company_id.id,
            'tariff_id': tariff.id, 'from_at': meter.billed_at, 'to_at': at,
            'from_total': float(previous.total) if previous else meter.start_reading,
            'to_total': float(registers.total),
            'energy': float(bill.deltas.total), 'energy_sharp': float(bill.deltas.sharp),
            'energy_peak': float(bill.deltas.peak), 'energy_flat': float(bill.deltas.flat),
            'energy_valley': float(bill.deltas.valley),
            'price': tariff.price if tariff.kind != 'tou' else 0.0,
            'price_sharp': tariff.price_sharp if tariff.kind == 'tou' else 0.0,
            'price_peak': tariff.price_peak if tariff.kind == 'tou' else 0.0,
            'price_flat': tariff.price_flat if tariff.kind == 'tou' else 0.0,
            'price_valley': tariff.price_valley if tariff.kind == 'tou' else 0.0,
            'amount': float(bill.amount), 'balance_before': float(balance_before),
            'balance_after': float(balance_before - bill.amount),
            'note': '; '.join(notes[note] for note in bill.notes) or False,
        }

    # ------------------------------------------------------------------ ledger
    def _post_consumption(self):
        """Move the billed money from the prepaid liability to revenue: one journal entry per
        company and day of these bills (the electricity was delivered, the prepayment earned).
        Nothing to move when the company posts sales straight to revenue."""
        groups = defaultdict(lambda: self.browse())
        for bill in self.filtered(lambda b: not b.move_id and b.amount):
            groups[bill.company_id, bill.day] |= bill
        # sudo: billing runs for the head-end or an operator, neither of them an accountant
        Move = self.env['account.move'].sudo()
        for (company, day), bills in groups.items():
            if company.prepaid_income_mode != 'liability':
                continue
            amount = company.currency_id.round(sum(bills.mapped('amount')))
            liability = company.sudo()._prepaid_income_account()
            revenue = company.sudo()._prepaid_revenue_account()
            label = self.env._("Electricity consumed on %(day)s (remote meters)", day=day)
            move = Move.create({
                'move_type': 'entry', 'date': day, 'journal_id': company._prepaid_consumption_journal().id,
                'company_id': company.id, 'ref': label,
                'line_ids': [
                    fields.Command.create({'name': label, 'account_id': liability.id,
                                           'debit': amount if amount > 0 else 0.0,
                                           'credit': -amount if amount < 0 else 0.0}),
                    fields.Command.create({'name': label, 'account_id': revenue.id,
                                           'credit': amount if amount > 0 else 0.0,
                                           'debit': -amount if amount < 0 else 0.0}),
                ],
            })
            move.action_post()
            bills.move_id = move
