"""The kiosk's bank card (UnionPay, 银联) payment terminal.

A terminal object, from open_terminal(url), offers:
  sale(reference, amount)  -> {'outcome': 'approved'|'declined'|'timeout', 'authorization', 'card',
                               'reference', 'amount': 'x.xx'}
  void(reference)          -> {'outcome': 'voided'|'not_found'|'already_voided', 'reference'}
  lookup(reference)        -> the terminal's journal entry for the reference, or None
  status()                 -> {'state': 'ok'|'offline'}
  close()                  -> release the link to the terminal
A voided sale answers outcome 'voided' (to sale() with its reference and to lookup()), so that a
caller reading only the outcome never takes a cancelled payment for a paid one.
The reference is the server's: a sale is idempotent on it (a second sale with the same reference
returns what the terminal knows of the first and never debits the card twice), and after a crash
or a 'timeout' the server asks lookup() whether the card was debited. Money is Decimal, never float.

Only a simulated terminal exists (url sim:///path/to/state.json). A real driver (the ECR link of
the acquirer's terminal, over serial or TCP) is to be added as another Terminal subclass chosen by
its URL scheme in open_terminal(), keeping this contract; none is implemented here.
"""
import json
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .devices import DeviceError

try:
    import fcntl
except ImportError:     # Windows: the threading lock alone serialises one process's calls
    fcntl = None

NEXT_OUTCOMES = ('approve', 'decline', 'timeout')
CENT = Decimal('0.01')


def parse_amount(amount):
    """A positive Decimal with at most two decimals; floats are refused (money is never a float)."""
    if isinstance(amount, (float, bool)):
        raise TypeError("the amount must be a Decimal (or a str or int), never a float")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(CENT):
        raise ValueError(f"the amount must be positive with at most two decimals: {amount!r}")
    return value.quantize(CENT)


def mask_pan(pan):
    """'6222021234567890' -> '6222 **** **** 7890': what a receipt and the server may keep of a card."""
    digits = ''.join(char for char in str(pan) if char.isdigit())
    return f"{digits[:4]} **** **** {digits[-4:]}"


class Terminal:
    """The contract of a payment terminal driver (see the module's docstring)."""

    def sale(self, reference, amount):
        raise NotImplementedError

    def void(self, reference):
        raise NotImplementedError

    def lookup(self, reference):
        raise NotImplementedError

    def status(self):
        raise NotImplementedError

    def close(self):
        """Release the link (a real driver's serial port or socket); nothing to release by default."""


class SimulatedTerminal(Terminal):
    """A terminal simulated in a JSON file that keeps, across bridge restarts:
      journal   reference -> {reference, amount, outcome ('approved'|'declined'), authorization, card,
                voided, late, at}
      next      the outcome of the next sale only ('approve' by default, 'decline', 'timeout'); it
                falls back to 'approve' once used (set_next())
      offline   true: the terminal does not answer: status() says so, sale(), void() and lookup()
                raise DeviceError('offline')
      card      the simulated card's number (masked in every answer)
    A 'timeout' simulates a bank host that answered after the terminal stopped waiting: sale()
    returns outcome 'timeout' after `timeout_delay` seconds, but the card WAS debited: the journal
    holds the sale as approved with late=True, so lookup() shows it (and a repeated sale() with the
    reference returns it approved): the server must complete the vend or void the sale.
    A repeated reference answers what the journal holds now, without using up 'next'.
    """

    def __init__(self, path, timeout_delay=2.0):
        self.path = Path(path)
        self.timeout_delay = float(timeout_delay)
        self._lock = threading.Lock()

    @contextmanager
    def _state(self, write=False):
        """The file's state, locked against other terminal objects and processes (set_next)."""
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + '.lock'), 'a') as lock:
                if fcntl:
                    fcntl.flock(lock, fcntl.LOCK_EX)
                state = json.loads(self.path.read_text()) if self.path.exists() else {}
                state.setdefault('journal', {})
                state.setdefault('next', 'approve')
                state.setdefault('sequence', 0)
                yield state
                if write:
                    temporary = self.path.with_name(self.path.name + '.tmp')
                    with open(temporary, 'w') as handle:
                        json.dump(state, handle, indent=1, ensure_ascii=False)
                        handle.flush()
                        os.fsync(handle.fileno())
                    os.replace(temporary, self.path)      # a crash leaves the old or the new journal

    @staticmethod
    def _answer(entry):
        return {'outcome': 'voided' if entry['voided'] else entry['outcome'], 'authorization': entry['authorization'],
                'card': entry['card'], 'reference': entry['reference'], 'amount': entry['amount']}

    def sale(self, reference, amount):
        """Debit `amount` (Decimal) under the server's `reference`, once whatever the number of calls.
        Raises ValueError when the reference was used for another amount."""
        reference, value = str(reference), parse_amount(amount)
        if not reference:
            raise ValueError("a sale needs a reference")
        with self._state(write=True) as state:
            if state.get('offline'):
                raise DeviceError('offline', "the payment terminal does not answer")
            entry = state['journal'].get(reference)
            if entry:
                if Decimal(entry['amount']) != value:
                    raise ValueError(f"reference {reference} was used for {entry['amount']}, not {value}")
                return self._answer(entry)
            outcome = state['next'] if state['next'] in NEXT_OUTCOMES else 'approve'
            state['next'] = 'approve'
            state['sequence'] += 1
            entry = {'reference': reference, 'amount': f'{value:.2f}',
                     'outcome': 'declined' if outcome == 'decline' else 'approved',
                     'authorization': '' if outcome == 'decline' else f"{state['sequence']:06d}",
                     'card': mask_pan(state.get('card', '6222021234567890')),
                     'voided': False, 'late': outcome == 'timeout',
                     'at': datetime.now().astimezone().isoformat(timespec='seconds')}
            state['journal'][reference] = entry
        if outcome == 'timeout':
            time.sleep(self.timeout_delay)
            return {**self._answer(entry), 'outcome': 'timeout', 'authorization': ''}
        return self._answer(entry)

    def void(self, reference):
        """Cancel an approved sale (late ones included); a declined sale has nothing to void: not_found."""
        with self._state(write=True) as state:
            if state.get('offline'):
                raise DeviceError('offline', "the payment terminal does not answer")
            entry = state['journal'].get(str(reference))
            if not entry or entry['outcome'] != 'approved':
                return {'outcome': 'not_found', 'reference': str(reference)}
            if entry['voided']:
                return {'outcome': 'already_voided', 'reference': str(reference)}
            entry['voided'] = True
            return {'outcome': 'voided', 'reference': str(reference)}

    def lookup(self, reference):
        """The journal entry of the reference as sale() answers it (outcome 'approved', 'declined' or
        'voided'; plus voided, late, at), None when the terminal never saw it."""
        with self._state() as state:
            if state.get('offline'):
                raise DeviceError('offline', "the payment terminal does not answer")
            entry = state['journal'].get(str(reference))
            return {**entry, **self._answer(entry)} if entry else None

    def status(self):
        with self._state() as state:
            return {'state': 'offline' if state.get('offline') else 'ok'}


def _sim_path(url):
    parts = urlsplit(url)
    if parts.scheme != 'sim' or not (parts.netloc + parts.path):
        raise ValueError(f"not a simulated terminal URL: {url!r} (sim:///path/to/state.json)")
    return parts.netloc + parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def open_terminal(url):
    """The terminal for a URL: sim:///path/state.json[?timeout_delay=2] is the only kind so far."""
    scheme = urlsplit(url).scheme
    if scheme == 'sim':
        path, query = _sim_path(url)
        return SimulatedTerminal(path, timeout_delay=float(query.get('timeout_delay', 2.0)))
    raise DeviceError('unsupported', f"no payment terminal driver for {scheme or url!r}")


def set_next(url, outcome):
    """Choose the outcome of the simulated terminal's next sale: approve, decline or timeout."""
    if outcome not in NEXT_OUTCOMES:
        raise ValueError(f"outcome must be one of {NEXT_OUTCOMES}, not {outcome!r}")
    path, _query = _sim_path(url)
    with SimulatedTerminal(path)._state(write=True) as state:
        state['next'] = outcome


def set_offline(url, offline=True):
    """Make the simulated terminal stop answering (or answer again)."""
    path, _query = _sim_path(url)
    with SimulatedTerminal(path)._state(write=True) as state:
        state['offline'] = bool(offline)
