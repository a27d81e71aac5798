"""The kiosk's device jobs (cash, print, pay, void): the server signs them as it signs card
jobs, the bridge runs them on the kiosk's bill validator, slip printer and card terminal.

A cash job takes notes until the server says stop: each note waits in the validator's escrow
until the server says stack or return (the server alone knows what the customer is buying and
the job's limit), each stacked note goes to the local cash journal before the server hears of
it, and a note is never stacked without the server's yes.
"""
import importlib
import logging
import time
from decimal import Decimal

from . import cctalk
from .cash_journal import CashJournal
from .client import ServerError
from .devices import DeviceError

_logger = logging.getLogger(__name__)

DEVICE_OPERATIONS = ('cash', 'print', 'pay', 'void')
CENT = Decimal('0.01')
# the cash loop's pace: poll the validator every 0.2 s, tell the server "idle" after 0.5 s
# without news (its answer stops the job), wait up to 10 s for the credit of a note being stacked
TIMING = {'poll_interval': 0.2, 'idle_interval': 0.5, 'drain': 10.0}


class Devices:
    """The kiosk's devices this bridge drives (each may be absent), and the state each last
    showed, which the bridge reports with every poll."""

    def __init__(self, acceptor=None, printer=None, terminal=None):
        self.acceptor = acceptor        # a CcTalkBillAcceptor (or anything with its methods)
        self.printer = printer          # URL for printer.print_slip, e.g. tcp://127.0.0.1:9100
        self.terminal = terminal        # URL for terminal.open_terminal, e.g. sim:///path/state.json
        self.states = {}

    @classmethod
    def of(cls, devices):
        if isinstance(devices, cls):
            return devices
        return cls(**(devices or {}))

    def __bool__(self):
        return any((self.acceptor, self.printer, self.terminal))

    def status(self):
        """{'acceptor': {'state': 'ok'|'offline'|'jam'|'cashbox_full'...}, 'printer': ..., 'terminal': ...}"""
        states = {}
        if self.acceptor is not None:
            states['acceptor'] = {'state': self.acceptor.status()}
        else:
            states['acceptor'] = {'state': 'not_configured'}
        for name in ('printer', 'terminal'):
            configured = getattr(self, name)
            states[name] = {'state': self.states.get(name, 'unknown') if configured else 'not_configured'}
        return states


def _result(job):
    return {'job_id': job['job_id'], 'nonce': job['nonce'], 'ok': False, 'raw': '', 'error': '', 'data': {}}


def _plain(value):
    """JSON-ready: Decimals as strings (never floats)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _module(name):
    """printer / terminal, imported when a job needs them (the card path never does)."""
    return importlib.import_module(f'{__package__}.{name}')


def run_device_job(job, devices, server, journal=None, **timing):
    """Run a verified device job; returns the (unsigned) result: job_id, nonce, ok, raw, error
    (a short code), data. `timing` tunes the cash loop (tests): poll_interval, idle_interval,
    drain, clock, sleep."""
    devices = Devices.of(devices)
    result = _result(job)
    operation = job.get('operation')
    try:
        if operation == 'cash':
            _cash(job, devices, server, journal, result, timing)
        elif operation == 'print':
            _print(job, devices, result)
        elif operation in ('pay', 'void'):
            _terminal_job(job, devices, result)
        else:
            result['error'] = 'unknown_operation'
    except DeviceError as error:
        result.update(ok=False, error=error.code)
        _logger.warning("job %s (%s) failed: %s", job.get('job_id'), operation, error)
    return result


# ------------------------------------------------------------------ print, pay, void
def _print(job, devices, result):
    if not devices.printer:
        result['error'] = 'no_printer'
        return
    try:
        answer = _module('printer').print_slip(devices.printer, job['params']['slip'])
    except DeviceError as error:
        devices.states['printer'] = error.code
        raise
    # print_slip answers the paper's state: 'ok', or 'low' (printed, but the roll is nearly out)
    devices.states['printer'] = 'paper_low' if answer == 'low' else 'ok'
    result.update(ok=True, data={'paper': str(answer)})


def _terminal_job(job, devices, result):
    if not devices.terminal:
        result['error'] = 'no_terminal'
        return
    params = job.get('params') or {}
    reference = str(params.get('reference') or params.get('transaction') or '')
    try:
        terminal = _module('terminal').open_terminal(devices.terminal)
        try:
            if job['operation'] == 'pay':
                answer = _sale(terminal, reference, Decimal(str(params['amount'])))
                ok = answer.get('outcome') == 'approved'
            else:
                answer = terminal.void(reference)
                ok = answer.get('outcome') == 'voided'
        finally:
            getattr(terminal, 'close', lambda: None)()
    except DeviceError as error:
        devices.states['terminal'] = error.code
        raise
    devices.states['terminal'] = 'ok'
    result.update(ok=ok, error='' if ok else str(answer.get('outcome') or 'failed'), data=_plain(answer))


def _sale(terminal, reference, amount):
    """A sale; when its answer is lost (timeout, the line dropped), the terminal is asked what
    became of the reference, so that a card charged is never reported unpaid."""
    try:
        answer = terminal.sale(reference, amount)
    except DeviceError:
        found = terminal.lookup(reference)
        if not found:
            raise
        return found
    if answer.get('outcome') == 'timeout':
        return terminal.lookup(reference) or answer
    return answer


# ------------------------------------------------------------------ cash
def _cash(job, devices, server, journal, result, timing):
    if devices.acceptor is None:
        result['error'] = 'no_acceptor'
        return
    session = CashSession(job, devices.acceptor, server, journal if journal is not None else CashJournal(), **timing)
    result.update(session.run())


class CashSession:
    """One cash job: enable, loop (escrow -> ask -> stack/return; stacked -> journal -> report;
    idle -> ask), then disable and drain. `run()` gives ok, error and data of the result."""

    def __init__(self, job, acceptor, server, journal, clock=time.monotonic, sleep=time.sleep, **timing):
        params = job.get('params') or {}
        self.job, self.acceptor, self.server, self.journal = job, acceptor, server, journal
        self.transaction = str(params.get('transaction', ''))
        self.denominations = [Decimal(str(value)) for value in params.get('denominations', ())]
        self.limit = Decimal(str(params['limit'])) if params.get('limit') not in (None, '') else None
        timing = {**TIMING, **timing}
        self.poll_interval, self.idle_interval, self.drain = (timing['poll_interval'], timing['idle_interval'],
                                                              timing['drain'])
        self.clock, self.sleep = clock, sleep
        self.notes = []
        self.seq = 0
        self.running = True
        self.error = ''
        self.server_down = False
        self.stack_pending = False      # stack ordered, its credit event not read yet
        self.last_contact = clock()

    # -------------------------------------------------------------- outcome
    def stop(self, error=''):
        if self.running:
            self.running = False
            self.error = error
        elif error and not self.error:
            self.error = error

    @property
    def total(self):
        return sum(self.notes, Decimal('0')).quantize(CENT)

    def ask(self, event, **fields):
        """The server's reply to one event, or None when it cannot be had (the job stops)."""
        if self.server_down:
            return None
        try:
            reply = self.server.cash_event(self.job, event, **fields)
        except ServerError as error:
            _logger.warning("cash job %s: the server refused %s: %s", self.job['job_id'], event, error)
            self.server_down = True
            self.stop('server_error')
            return None
        except OSError as error:
            _logger.warning("cash job %s: server unreachable (%s): %s", self.job['job_id'], event, error)
            self.server_down = True
            self.stop('server_unreachable')
            return None
        self.last_contact = self.clock()
        reply = reply or {}
        if reply.get('accept') is False:
            self.stop()
        return reply

    # -------------------------------------------------------------- events
    def on_escrow(self, value):
        if not self.running:
            self.acceptor.return_bill()
            return
        if self.limit is not None and self.total + value > self.limit:
            _logger.info("cash job %s: a %s note would pass the limit %s: returned", self.job['job_id'], value,
                         self.limit)
            self.acceptor.return_bill()
            return
        reply = self.ask('escrow', value=value)
        if reply is not None and reply.get('route') == 'stack':
            try:
                self.stack_pending = self.acceptor.stack()
            except DeviceError as error:     # cashbox full or jammed: the events will tell which
                _logger.warning("cash job %s: %s", self.job['job_id'], error)
                self.acceptor.return_bill()
                self.ask('fault', code=error.code)
        else:
            self.acceptor.return_bill()

    def on_stacked(self, value):
        self.stack_pending = False
        self.seq += 1
        self.journal.record(self.job, self.transaction, self.seq, value)   # on disk first
        self.notes.append(value)
        if self.ask('stacked', value=value, seq=self.seq) is not None:
            self.journal.ack(self.job['job_id'], self.seq)

    def on_fault(self, code):
        self.ask('fault', code=code)
        if code in cctalk.STOPPING_FAULTS:
            self.stop(code)

    def on_reset(self):
        """The validator restarted: inhibited again, its escrow emptied; a stack ordered may or
        may not have been credited (the server hears of it as a fault)."""
        self.stack_pending = False
        self.ask('fault', code='reset')
        if self.running:
            self.acceptor.enable(self.denominations)

    def handle(self, event):
        kind, value = event
        if kind == 'escrow':
            self.on_escrow(value)
        elif kind == 'stacked':
            self.on_stacked(value)
        elif kind == 'returned':
            self.stack_pending = False
        elif kind == 'fault':
            self.on_fault(value)
        elif kind == 'reset':
            self.on_reset()
        else:
            _logger.info("cash job %s: bill validator %s %s", self.job['job_id'], kind, value)

    # -------------------------------------------------------------- the loop
    def run(self):
        try:
            enabled = self.acceptor.enable(self.denominations)
        except DeviceError as error:
            self.acceptor.close()
            return {'ok': False, 'error': error.code, 'data': {'notes': [], 'total': '0.00'}}
        _logger.info("cash job %s: taking %s notes", self.job['job_id'], ', '.join(map(str, enabled)))
        try:
            while self.running:
                events = self.acceptor.poll()
                for event in events:
                    self.handle(event)
                if self.running and not events and self.clock() - self.last_contact >= self.idle_interval:
                    self.ask('idle')
                if self.running:
                    self.sleep(self.poll_interval)
        except DeviceError as error:
            self.stop(error.code)
            self.ask('fault', code=error.code)
        finally:
            self.finish()       # whatever happened, the validator takes no more notes
        return {'ok': True, 'error': self.error,
                'data': {'notes': [str(value) for value in self.notes], 'total': str(self.total)}}

    def finish(self):
        """Disable (a note in escrow goes back), then read the events still coming: the credit of
        a note being stacked, a note that reached escrow as the validator closed."""
        self.stop()
        try:
            self.acceptor.disable()
            deadline = self.clock() + self.drain
            while True:
                events = self.acceptor.poll()
                for event in events:
                    self.handle(event)
                if (not events and not self.stack_pending) or self.clock() >= deadline:
                    break
                self.sleep(self.poll_interval)
        except DeviceError as error:
            _logger.warning("cash job %s: closing the bill validator: %s", self.job['job_id'], error)
            self.stop(error.code)
        if self.stack_pending:
            _logger.error("cash job %s: a note was being stacked, its credit never came", self.job['job_id'])
            self.stop('stack_unconfirmed')
        _logger.info("cash job %s: %d note(s), %s%s", self.job['job_id'], len(self.notes), self.total,
                     f" ({self.error})" if self.error else '')
