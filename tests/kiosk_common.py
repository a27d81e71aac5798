"""A self-service kiosk for the tests: a POS config in kiosk mode with a cash method (the bill
acceptor) and a bank card terminal method, its paired card bridge, and a customer whose card
is in the kiosk's reader. The bridge's side is played with the bridge's own code: jobs are
checked by its JobGuard, card jobs run by its runner on a virtual SLE4442, and results signed
with its secret as it sends them; the acceptor's events go to the method the cash route calls."""

from card_bridge.drivers.virtual_chip import VirtualChipDriver as ChipDriver
from card_bridge.protocol import JobGuard, signed
from card_bridge.runner import run_job
from card_bridge.sle4442 import VirtualSle4442

from .common import MANAGER, PrepaidCommon, make_kiosk, use_card_keys


class KioskCommon(PrepaidCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_card_keys(cls, {'654321': {'1': '00112233445566778899aabbccddeeff'}})
        env = cls.env
        env.company._prepaid_sync_product_account()
        cls.bridge = env['prepaid.card.bridge'].create({'name': 'Kiosk PC'})
        cls.secret = cls.bridge._pair(cls.bridge.pairing_code)['secret']
        cls.kiosk = make_kiosk(env, 'Kiosk 1', cls.bridge, cls.station)
        cls.cash_method = cls.kiosk.prepaid_kiosk_cash_method_id
        cls.card_method = cls.kiosk.prepaid_kiosk_card_method_id
        cls.Transaction = env['prepaid.kiosk.transaction']
        cls.manager.group_ids |= env.ref(MANAGER)

    def setUp(self):
        super().setUp()
        self.chip = VirtualSle4442(serial=bytes.fromhex('0a0b0c0d0e0f1011'))
        self.guard = JobGuard(self.bridge.id, self.secret)
        self.account = self.open_account(meter_number='000012345678', quantity='61')
        card_job = self.account._issue_card(self.chip.serial.hex())
        write = self.env['prepaid.card.job']._create_for(self.bridge, 'write', card_job, self.account.vend_ids)
        self.run_jobs(write)
        self.assertEqual(self.account.vend_ids.state, 'written')
        self.insert_card(self.account)        # the credit reached the meter: the customer may buy again

    # ------------------------------------------------------------------ the bridge's side
    def take(self):
        """The jobs the bridge takes now, as its guard accepts them."""
        self.env.flush_all()
        jobs = self.env['prepaid.card.job']._take_pending(self.bridge)
        return jobs, [self.guard.check(job._signed_payload()) for job in jobs]

    def send_result(self, payload):
        self.env['prepaid.card.job']._apply_result(self.bridge, signed(self.secret, payload))
        self.env.flush_all()

    def run_jobs(self, expected=None, card_present=True):
        """Take the pending jobs and run the card jobs on the virtual card with the bridge's
        runner (a card pulled out: the job fails as the bridge reports it). Returns the device jobs
        left for the test to answer."""
        jobs, payloads = self.take()
        if expected is not None:
            self.assertEqual(jobs.filtered(lambda j: j.operation in ('read', 'write')), expected)
        devices = []
        for job, payload in zip(jobs, payloads):
            if job.operation in ('read', 'write'):
                if card_present:
                    result = run_job(payload, ChipDriver(self.chip), self.secret)
                else:
                    result = {'job_id': job.id, 'nonce': job.nonce, 'ok': False, 'raw': '',
                              'error': "no card in the reader"}
                self.send_result(result)
            else:
                devices.append(job)
        return self.env['prepaid.card.job'].union(*devices)

    def device_result(self, job, ok=True, error='', **data):
        self.send_result({'job_id': job.id, 'nonce': job.nonce, 'ok': ok, 'raw': '', 'error': error, 'data': data})

    def put_card_in_reader(self):
        """The card goes into the kiosk's reader: the bridge reports it, the kiosk reads it."""
        self.bridge.write({'card_serial': self.chip.serial.hex(), 'card_changed_at': self.env.cr.now()})
        state = self.kiosk._kiosk_state()
        self.assertTrue(state['card']['reading'])
        self.run_jobs()
        return self.kiosk._kiosk_state()

    def pull_card(self):
        self.bridge.write({'card_serial': False, 'card_changed_at': self.env.cr.now()})
        return self.kiosk._kiosk_state()

    def insert_notes(self, transaction, *values, start_seq=1):
        """The acceptor's events of inserted notes: each in escrow, stacked on the server's yes.
        Returns the routes the server gave."""
        routes = []
        job = transaction.job_id
        for seq, value in enumerate(values, start=start_seq):
            reply = transaction._on_cash_event(job, 'escrow', {'value': value})
            routes.append(reply['route'])
            if reply['route'] == 'stack':
                transaction._on_cash_event(job, 'stacked', {'value': value, 'seq': seq})
        self.env.flush_all()
        return routes

    def cash_purchase(self, tid, *notes, amount=100, buy=True):
        """The card in the reader, `amount` chosen, `notes` inserted; with `buy`, Buy pressed and
        the cash job ended by the bridge (the vend made, its card write queued)."""
        self.put_card_in_reader()
        self.kiosk._kiosk_start(tid, 'cash', 'money', amount)
        transaction = self.Transaction.search([('kiosk_tid', '=', tid)])
        self.run_jobs()
        self.insert_notes(transaction, *notes)
        if buy:
            self.kiosk._kiosk_buy(tid)
            self.end_cash_job(transaction)
        return transaction

    def end_cash_job(self, transaction):
        """The bridge ends its cash job (the server said stop) and sends its result."""
        self.device_result(transaction.job_id, notes=transaction.note_ids.mapped(lambda n: str(n.value)),
                           total=str(transaction.amount_inserted))

    def slip_job(self, transaction):
        return self.env['prepaid.card.job'].search(
            [('kiosk_transaction_id', '=', transaction.id), ('operation', '=', 'print')])
