from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round

from ..engine import money, remote_billing
from ..tools import OPERATOR_GROUP, to_decimal
from .prepaid_meter_command import PENDING_STATES

RECENT_VENDS = 5    # purchases the vending screen lists
RECENT_BILLS = 5    # a remote account's daily bills the vending screen lists


class PosConfig(models.Model):
    """What the Point of Sale asks the server while vending, called on its till: find the
    customer (by card or by number, name, phone or meter), quote, follow card jobs, and the
    other card operations of a cashier. The POS only displays; every rule is applied here and
    in the models it calls.

    Every public `prepaid_` method is such a call and checks the vending role first
    (`_prepaid_check_vending`): tests/test_pos_guards.py calls each of them."""
    _inherit = 'pos.config'

    # ------------------------------------------------------------------ helpers
    def _prepaid_check_vending(self):
        """The one role check of every vending call, before anything else is looked at."""
        self.ensure_one()
        if not self.env.user.has_group(OPERATOR_GROUP):
            raise AccessError(self.env._("Only vending operators may sell electricity."))
        if not self.exists():
            raise UserError(self.env._("This Point of Sale no longer exists."))

    def _prepaid_bridge(self):
        self._prepaid_check_vending()
        bridge = self.prepaid_bridge_id
        if not bridge or bridge.state != 'paired':
            raise UserError(self.env._(
                "No paired card bridge is set on %(pos)s: set one in the Point of Sale settings.",
                pos=self.name))
        return bridge

    def _prepaid_account(self, account_id):
        account = self.env['prepaid.account'].browse(int(account_id)).exists()
        if not account:
            raise UserError(self.env._("This customer account no longer exists."))
        return account

    def _prepaid_selection_label(self, record, field_name):
        return dict(record._fields[field_name]._description_selection(self.env)).get(record[field_name], '')

    def _prepaid_account_summary(self, account, card_warning=None):
        """Everything the vending screen shows about a customer, warnings included."""
        return self._prepaid_account_summaries(account, card_warning)[0]

    def _prepaid_account_summaries(self, accounts, card_warning=None):
        """The summaries of `accounts` (in their order); what each needs of the vends, jobs and
        write-backs is read for all at once, so a search's 20 results cost the queries of one."""
        last_of, recent_of = accounts._last_vends(), accounts._latest_of('prepaid.vend', [], limit=RECENT_VENDS)
        waiting_of = accounts._latest_of('prepaid.vend', [('state', '=', 'to_write')], 'id desc')
        writeback_of = accounts._latest_of('prepaid.card.writeback', [], 'id desc')
        # remote accounts: their last bills and the relay command on its way, read for all at once
        remote = accounts.filtered(lambda a: a.delivery == 'remote')
        bills_of = remote._latest_of('prepaid.meter.bill', [], limit=RECENT_BILLS) if remote else {}
        pending_of = remote._latest_of('prepaid.meter.command', [('state', 'in', PENDING_STATES)],
                                       'id desc') if remote else {}
        return [self._prepaid_summary(account, last_of[account], recent_of[account], waiting_of[account],
                                      writeback_of[account], card_warning, bills_of.get(account),
                                      pending_of.get(account)) for account in accounts]

    def _prepaid_summary(self, account, last, recent, waiting, writeback, card_warning, bills=None, pending=None):
        meter, tariff = account.meter_id, account.tariff_id
        warnings = []
        if card_warning:
            warnings.append(card_warning)
        is_remote = account.delivery == 'remote'
        active = account.state == 'active'
        card = active and not is_remote    # the card warnings and buttons are for IC card accounts
        if account.state == 'deactivated':
            warnings.append(self.env._("The account is deactivated: it cannot buy. A manager can reactivate it."))
        elif not active:
            warnings.append(self.env._("The account is closed: it cannot buy again. Open a new account."))
        # an account opened without a card: its first purchase is sold, then the card issued with it
        first_purchase = card and not account.card_id and not account.purchase_sequence
        can_issue_card = bool(card and not account.card_id and last)
        if first_purchase:
            warnings.append(self.env._(
                "The customer has no card yet: sell the first purchase; once it is paid, put a blank card "
                "in the reader and issue the card."))
        elif can_issue_card:
            warnings.append(self.env._(
                "The customer has no card yet: put a blank card in the reader and issue the card with "
                "purchase %(name)s.", name=last.name))
        if account.is_credit_valid and not is_remote:
            warnings.append(self.env._(
                "The credit of purchase %(sequence)s is still on the card: the customer inserts the card "
                "in the meter first, then buys again.", sequence=last.sequence or account.purchase_sequence))
        if waiting:
            warnings.append(self.env._("Vend %(name)s is waiting for its card write.", name=waiting.name))
        summary = {
            'id': account.id,
            'number': account.number,
            'name': account.partner_id.name or '',
            'phone': account.partner_id.phone or '',
            'address': account.partner_id.contact_address_inline or '',
            'state': account.state,
            'state_label': self._prepaid_selection_label(account, 'state'),
            'meter': meter.number,
            'meter_type': meter.meter_type_id.display_name or '',
            'area': account.area_id.display_name or '',
            'tariff': tariff.display_name,
            'price': tariff._price_beside_name(),
            'card_serial': account.card_id.serial or '',
            'purchase_sequence': account.purchase_sequence,
            'money_balance': account.money_balance,
            'is_credit_valid': account.is_credit_valid,
            'last_vend': last and {
                'id': last.id, 'name': last.name, 'date': fields.Datetime.to_string(last.date),
                'energy': last.energy_bought, 'amount': last.amount_due, 'state': last.state,
                'state_label': self._prepaid_selection_label(last, 'state')} or False,
            'recent_vends': [{
                'id': vend.id, 'name': vend.name, 'date': fields.Datetime.to_string(vend.date),
                'energy': vend.energy_bought, 'amount': vend.amount_due, 'state': vend.state,
                'balance_after': vend.balance_after,
                'state_label': self._prepaid_selection_label(vend, 'state')} for vend in recent],
            'writeback': writeback and {
                'date': fields.Datetime.to_string(writeback.date),
                'remaining': writeback.remaining_energy, 'over_zero': writeback.over_zero_energy,
                'cumulative': writeback.cumulative_purchased,
                'total_consumption': writeback.total_consumption, 'insert_count': writeback.insert_count,
                'last_purchase': writeback.last_purchase, 'meter_status': writeback.meter_status or '',
                'meter_status_label': self._prepaid_selection_label(writeback, 'meter_status')} or False,
            'waiting_vend_id': waiting.id or False,
            # buying is offered only when the server would not refuse it outright
            'can_buy': bool(card and not account.is_credit_valid and (account.card_id or first_purchase)),
            'can_issue_card': can_issue_card,
            # the last sale can be corrected while its credit is still on the card
            'can_rewrite': bool(card and account.card_id and account.is_credit_valid
                                and last.kind == 'sale'),
            'is_remote': is_remote,
            'can_top_up': bool(active and is_remote),
            'remote': False,
            'warnings': warnings,
        }
        if is_remote:
            summary['remote'] = self._prepaid_remote_summary(account, bills or self.env['prepaid.meter.bill'],
                                                             pending or self.env['prepaid.meter.command'], warnings)
        return summary

    def _prepaid_remote_summary(self, account, bills, pending, warnings):
        """What the screen shows of a remote account (its balance lives in the system, its meter
        is read and switched remotely): balance, alarm and relay state, keep-power, thresholds,
        the last bills and the command on its way; its warnings are added to `warnings`."""
        meter = account.meter_id
        balance, overdraft = to_decimal(account.money_balance), to_decimal(account.overdraft_limit)
        is_tripped = meter.relay_state == 'open'
        if is_tripped and meter.tripped_by_strategy:
            warnings.append(self.env._(
                "The meter is tripped (power off): a top-up of at least %(amount)s brings the balance back "
                "above the overdraft limit and closes it automatically.",
                amount=money.money_text(max(-overdraft - balance, money.MONEY_QUANTUM))))
        elif is_tripped:
            warnings.append(self.env._("The meter was tripped by hand (power off): a manager closes it again."))
        elif account.alarm_state == 'overdraft' and meter.keep_power:
            warnings.append(self.env._(
                "The balance is below the overdraft limit, but keep-power stops the meter from being tripped."))
        if pending:
            warnings.append(self.env._(
                "A command to the meter is on its way: %(action)s (%(state)s).",
                action=self._prepaid_selection_label(pending, 'action'),
                state=self._prepaid_selection_label(pending, 'state')))
        return {
            'balance': account.money_balance,
            'alarm_state': account.alarm_state,
            'alarm_state_label': self._prepaid_selection_label(account, 'alarm_state'),
            'relay_state': meter.relay_state or '',
            'relay_state_label': self._prepaid_selection_label(meter, 'relay_state') or self.env._("Unknown"),
            'is_tripped': is_tripped,
            'keep_power': meter.keep_power,
            'auto_trip': meter.auto_trip,
            'is_online': meter.is_online,
            'concentrator': meter.concentrator_id.display_name or '',
            'read_up_to': fields.Date.to_string(meter.billed_day) or False,
            'alarm_threshold_1': account.alarm_threshold_1,
            'alarm_threshold_2': account.alarm_threshold_2,
            'overdraft_limit': account.overdraft_limit,
            'pending_command': pending and {
                'action': pending.action, 'action_label': self._prepaid_selection_label(pending, 'action'),
                'state': pending.state, 'state_label': self._prepaid_selection_label(pending, 'state')} or False,
            'bills': [{'id': bill.id, 'day': fields.Date.to_string(bill.day), 'energy': bill.energy,
                       'amount': bill.amount, 'balance_after': bill.balance_after} for bill in bills],
        }

    # ------------------------------------------------------------------ finding the customer
    def prepaid_find_accounts(self, query):
        """Accounts matching a customer number, name, phone or meter number."""
        self._prepaid_check_vending()
        query = (query or '').strip()
        if len(query) < 2:
            return []
        accounts = self.env['prepaid.account'].search(
            ['|', '|', '|', ('number', 'ilike', query), ('partner_id.name', 'ilike', query),
             ('partner_id.phone', 'ilike', query), ('meter_id.number', 'ilike', query)], limit=20)
        return self._prepaid_account_summaries(accounts)

    def prepaid_account_summary(self, account_id):
        self._prepaid_check_vending()
        return self._prepaid_account_summary(self._prepaid_account(account_id))

    def prepaid_read_card(self):
        """Ask the POS's bridge to read the card in its reader; follow with `prepaid_job_status`."""
        bridge = self._prepaid_bridge()
        job = self.env['prepaid.card.job']._create_for(bridge, 'read')
        return {'job_id': job.id}

    def prepaid_job_status(self, job_id):
        """Where a card job stands; for a finished read, the customer on the card."""
        self._prepaid_check_vending()
        job = self.env['prepaid.card.job'].search(
            [('id', '=', int(job_id)), ('bridge_id', '=', self.prepaid_bridge_id.id)])
        if not job:
            raise UserError(self.env._("Unknown card job."))
        result = {'job_id': job.id, 'state': job.state, 'error': job.error or '',
                  'vend_state': job.vend_id.state or False}
        if job._expire_stale():
            result.update(state='expired', error=job.error)
        if job.operation == 'read' and job.state == 'done':
            try:
                read = self.env['prepaid.card']._read_card(bytes.fromhex(job.raw or ''))
            except UserError as refusal:
                result.update(state='failed', error=refusal.args[0])
            else:
                if read['account']:
                    result['account'] = self._prepaid_account_summary(read['account'])
                else:
                    result.update(state='failed', error=self.env._("This is not a purchase card."))
        return result

    # ------------------------------------------------------------------ opening an account
    def _prepaid_opening_templates(self):
        domain = [('station_id', '=', self.prepaid_station_id.id)] if self.prepaid_station_id else []
        return self.env['prepaid.template'].search(domain)

    def prepaid_opening_options(self):
        """The templates (with their area) and areas the till's account opening offers."""
        self._prepaid_check_vending()
        templates = self._prepaid_opening_templates()
        areas = self.env['prepaid.area'].search([('station_id', 'in', templates.station_id.ids)])
        return {
            'templates': [{'id': t.id, 'name': t.display_name, 'area_id': t.area_id.id or False,
                           'is_default': t.is_default} for t in templates],
            'areas': [{'id': a.id, 'name': a.display_name} for a in areas],
        }

    def prepaid_open_account(self, values):
        """Open an account at the till (新表开户): register the customer and the meter on a
        template of this till's station. The first purchase is then sold and paid with the
        order like any sale, and the first card issued with it (`prepaid_issue_card`)."""
        self._prepaid_check_vending()
        name = (values.get('name') or '').strip()
        meter_number = (values.get('meter_number') or '').strip()
        if not name or not meter_number:
            raise UserError(self.env._("Enter the customer's name and the meter number."))
        template = self._prepaid_opening_templates().filtered(lambda t: t.id == int(values.get('template_id') or 0))
        if not template:
            raise UserError(self.env._("Choose an account opening template."))
        station = template.station_id
        defaults = template._opening_defaults()
        area = self.env['prepaid.area'].browse(int(values.get('area_id') or defaults['area_id'] or 0)).exists()
        with self.env.cr.savepoint():    # a refused opening leaves no customer behind
            # sudo: registering the customer's contact is part of account opening, which
            # operators do without being allowed to edit the contact book
            partner = self.env['res.partner'].sudo().create({
                'name': name, 'phone': (values.get('phone') or '').strip() or False,
                'street': (values.get('address') or '').strip() or False})
            account = self.env['prepaid.account']._open_account(
                {'number': meter_number, 'meter_type_id': defaults['meter_type_id'],
                 'alarm_energy': defaults['alarm_energy'], 'pretrip_energy': defaults['pretrip_energy'],
                 'hoarding_energy': defaults['hoarding_energy'], 'company_id': station.company_id.id},
                {'partner_id': partner.id, 'tariff_id': defaults['tariff_id'], 'area_id': area.id,
                 'station_id': station.id, 'company_id': station.company_id.id})
        return self._prepaid_account_summary(account)

    # ------------------------------------------------------------------ quoting
    def _prepaid_quote_request(self, account, method, quantity, quote_function):
        """The server's quote as the POS shows it, or the translated reason it is refused."""
        if method not in ('energy', 'money'):
            raise UserError(self.env._("Buy by energy or by money."))
        try:
            amount = to_decimal(quantity)
        except ValueError:
            return {'error': self.env._("Enter a valid number.")}
        if amount <= 0:
            return {'error': self.env._("Enter a quantity greater than zero.")}
        if not account.card_id and account.purchase_sequence:
            # only the first purchase is sold before the card: the card is issued with it
            return {'error': self.env._("Customer %(number)s has no card: issue one first.", number=account.number)}
        try:
            quote = quote_function(method, amount)
        except UserError as refusal:
            return {'error': refusal.args[0]}
        rounding = account.currency_id.rounding
        return {
            'method': method, 'quantity': float(amount),
            'energy_bought': float(quote.energy_bought), 'energy_written': float(quote.energy_written),
            'energy_net': float(quote.energy_net), 'preset_deducted': float(quote.preset_deducted),
            'over_zero_deducted': float(quote.over_zero_deducted),
            'unit_price': float(quote.unit_price),
            'tiers': [{'index': tier.index, 'energy': float(tier.energy), 'price': float(tier.price),
                       'amount': float(tier.amount)} for tier in quote.tiers],
            'balance_before': float(quote.balance_before), 'balance_after': float(quote.balance_after),
            'amount_due': float_round(float(quote.amount_due), precision_rounding=rounding),
        }

    def prepaid_quote(self, account_id, method, quantity):
        """The server's quote of a sale, or the translated reason it would be refused."""
        self._prepaid_check_vending()
        account = self._prepaid_account(account_id)
        return self._prepaid_quote_request(account, method, quantity, account._quote)

    def prepaid_quote_top_up(self, account_id, amount):
        """Top-up (充值) of a remote account at the till: the amount due and the balance after it,
        in the shape of a quote by money (the order line is made from it), or the translated
        reason it would be refused. The top-up itself is made when the order is paid."""
        self._prepaid_check_vending()
        account = self._prepaid_account(account_id)
        try:
            amount = account._check_top_up(to_decimal(amount, 6))
        except ValueError:
            return {'error': self.env._("Enter a valid number.")}
        except UserError as refusal:
            return {'error': refusal.args[0]}
        before = to_decimal(account.money_balance)
        after = before + amount
        meter = account.meter_id
        return {
            'method': 'money', 'quantity': float(amount), 'is_top_up': True,
            'amount_due': float(amount), 'balance_before': float(before), 'balance_after': float(after),
            # what the strategy will do once it is paid: close a meter it tripped
            'closes_meter': remote_billing.should_close(after, to_decimal(account.overdraft_limit),
                                                        relay_closed=meter.relay_state != 'open',
                                                        tripped_by_strategy=meter.tripped_by_strategy),
        }

    def prepaid_quote_rewrite(self, vend_id, method, quantity):
        """Rewrite credit (改写卡内电量): the quote of the corrected purchase and the money
        difference the order settles (negative: paid back to the customer)."""
        self._prepaid_check_vending()
        vend = self.env['prepaid.vend'].browse(int(vend_id)).exists()
        if not vend:
            raise UserError(self.env._("This vend no longer exists."))
        result = self._prepaid_quote_request(vend.account_id, method, quantity, vend._rewrite_quote)
        if 'error' not in result:
            result.update(rewrite_vend_id=vend.id, rewrite_vend_name=vend.name,
                          amount_before=vend.amount_due,
                          difference=vend.currency_id.round(result['amount_due'] - vend.amount_due))
        return result

    # ------------------------------------------------------------------ card writes
    def prepaid_write_status(self, vend_ids):
        """For each vend of a paid order: written, or waiting (with the last job's state and error)."""
        self._prepaid_check_vending()
        vends = self.env['prepaid.vend'].browse([int(i) for i in vend_ids]).exists()
        Job = self.env['prepaid.card.job']
        # the last job of every vend at once: one query however many vends the order has
        last_job = {vend: Job.browse(job_id) for vend, job_id in Job._read_group(
            [('vend_id', 'in', vends.ids)], ['vend_id'], ['id:max'])}
        Job.union(*last_job.values())._expire_stale()    # the POS stops waiting for a bridge that is off
        statuses = []
        for vend in vends:
            job = last_job.get(vend, Job)
            statuses.append({'vend_id': vend.id, 'name': vend.name, 'state': vend.state,
                             'job_id': job.id or False, 'job_state': job.state or False,
                             'error': job.error or ''})
        return statuses

    def prepaid_write_vend(self, vend_id):
        """Write a vend waiting for its card write (or write it again): the same image, never a
        new credit."""
        bridge = self._prepaid_bridge()
        vend = self.env['prepaid.vend'].browse(int(vend_id)).exists()
        if not vend:
            raise UserError(self.env._("This vend no longer exists."))
        return {'job_id': vend._queue_card_write(bridge).id}

    def prepaid_issue_card(self, account_id):
        """Issue the account's first card (operators, part of account opening) on the blank card
        now in the bridge's reader: it is written with the first purchase."""
        bridge = self._prepaid_bridge()
        return {'job_id': self._prepaid_account(account_id)._write_new_card(bridge).id}

    def prepaid_reissue_card(self, account_id):
        """Reissue (managers): the blank card now in the bridge's reader gets the customer's data."""
        bridge = self._prepaid_bridge()
        return {'job_id': self._prepaid_account(account_id)._write_new_card(bridge, reissue=True).id}

    def prepaid_recover_credit(self, account_id, meter_cumulative_energy):
        """Credit recovery (managers), checked against the meter's cumulative purchased energy;
        then the recovered credit is written."""
        bridge = self._prepaid_bridge()
        account = self._prepaid_account(account_id)
        try:
            meter_cumulative_energy = to_decimal(meter_cumulative_energy or 0)
        except ValueError:
            raise UserError(self.env._("Enter a valid number.")) from None
        operation = account._recover_credit(meter_cumulative_energy)
        return {'job_id': operation.vend_id._queue_card_write(bridge).id}
