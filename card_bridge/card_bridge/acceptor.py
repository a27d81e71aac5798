"""The kiosk's bill validator (纸币器) over ccTalk on a serial line (ICT, ITL, JCM... in ccTalk
mode; a USB-serial adapter or the kiosk PC's COM port).

The validator holds each note in escrow and asks: the bridge stacks it (into the cashbox) only
when the server said yes, and returns it otherwise. What happened is read from its event buffer
(header 159), whose counter tells how many events are new, and whether some were lost.
"""
import logging
import time
from collections import namedtuple

import serial

from . import cctalk
from .devices import DeviceError

_logger = logging.getLogger(__name__)

BillType = namedtuple('BillType', 'number code country value')


class BillEvent(namedtuple('BillEvent', 'kind value')):
    """One event of the validator, comparable to a plain tuple:
    ('escrow', Decimal) a note waits in escrow for stack() or return_bill();
    ('stacked', Decimal) a note went into the cashbox: it is money taken;
    ('returned', None) the note in escrow went back to the customer;
    ('fault', code) jam, cashbox_full, cashbox_removed, cashbox_faulty, faulty, fraud, rejected,
        inhibited, unknown_bill_stacked, lost_events (more than 5 events between two reads);
    ('status', code) cashbox_ok, cashbox_inserted, barcode: a fault is over, or information;
    ('reset', None) the validator restarted (power cut, reset): it is inhibited again."""

    __slots__ = ()


def _event(result_a, result_b, bill_types):
    """The BillEvent of one (result A, result B) pair of header 159."""
    if result_a:
        bill = bill_types.get(result_a)
        if bill is None:      # a bill type identify() did not know (or not run): money, value unknown
            return BillEvent('fault', 'unknown_bill_stacked' if result_b == 0 else 'unknown_bill')
        return BillEvent('stacked' if result_b == 0 else 'escrow', bill.value)
    described = cctalk.BILL_EVENT_CODES.get(result_b)
    if described is None:
        return BillEvent('fault', f'code_{result_b}')
    code = described[2]
    if code == 'returned':
        return BillEvent('returned', None)
    if described[1] == cctalk.STATUS and code in cctalk.CLEARING_STATUSES | {'barcode'}:
        return BillEvent('status', code)
    return BillEvent('fault', code)


class CcTalkBillAcceptor:
    """A ccTalk bill validator on a serial port (`port` is a path such as /dev/ttyUSB0, COM3, or
    the virtual validator's pty).

    `echo`: on the single-wire ccTalk bus the host reads back its own bytes before the reply.
    True = expect that echo and check it (a different echo is a bus collision: retried);
    False = no echo (RS232 adapters with separate lines); None = either (any frame that is not
    addressed to the host, our echo included, is skipped)."""

    def __init__(self, port, address=cctalk.BILL_VALIDATOR, baudrate=9600, echo=None, country='CN',
                 timeout=0.5, retries=3):
        self.port = port
        self.address = address
        self.baudrate = baudrate
        self.echo = echo
        self.country = country
        self.timeout = timeout
        self.retries = retries
        self.serial = None
        self.bill_types = {}          # number -> BillType
        self.category = ''
        self.counter = None           # the event counter last read; None = not read yet
        self.state = 'unknown'        # ok, offline, or the last stopping fault

    # -------------------------------------------------------------- the line
    def open(self):
        if self.serial is None:
            try:
                self.serial = serial.Serial(self.port, self.baudrate, bytesize=8, parity='N', stopbits=1,
                                            timeout=0.02, write_timeout=1)
            except (serial.SerialException, OSError) as error:
                self.state = 'offline'
                raise DeviceError('offline', f"bill validator port {self.port}: {error}") from None
            self.counter = None
        return self

    def close(self):
        if self.serial is not None:
            try:
                self.serial.close()
            finally:
                self.serial = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def _read(self, count, deadline):
        data = b''
        while len(data) < count:
            chunk = self.serial.read(count - len(data))
            if chunk:
                data += chunk
            elif time.monotonic() > deadline:
                raise TimeoutError(f"{len(data)} of {count} bytes")
        return data

    def _read_frame(self, deadline):
        head = self._read(2, deadline)
        return head + self._read(cctalk.frame_length(head) - 2, deadline)

    def _exchange(self, request, deadline):
        self.serial.reset_input_buffer()
        self.serial.write(request)
        self.serial.flush()
        if self.echo:
            echoed = self._read(len(request), deadline)
            if echoed != request:
                raise cctalk.CcTalkError(f"bus collision: sent {request.hex(' ')}, read {echoed.hex(' ')}")
        while True:
            frame = cctalk.decode(self._read_frame(deadline))
            if frame.destination == cctalk.HOST and frame.source == self.address:
                return frame
            if self.echo is False:
                raise cctalk.CcTalkError(f"unexpected frame {frame}")
            # our own echo (auto mode), or another device's traffic: not our reply

    def request(self, header, data=b''):
        """Send one command, return the reply's data. NAK, BUSY, silence and corrupt replies are
        retried; after `retries` tries the validator is offline (DeviceError)."""
        self.open()
        request = cctalk.encode(self.address, cctalk.HOST, header, data)
        problem = ''
        for attempt in range(self.retries):
            try:
                frame = self._exchange(request, time.monotonic() + self.timeout)
            except (TimeoutError, cctalk.CcTalkError) as error:
                problem = str(error) or 'no answer'
                time.sleep(0.05 * (attempt + 1))          # let a garbled reply end before the retry
                continue
            except (serial.SerialException, OSError) as error:   # unplugged USB adapter
                self.close()
                self.state = 'offline'
                raise DeviceError('offline', f"bill validator on {self.port}: {error}") from None
            if frame.header in (cctalk.NAK, cctalk.BUSY):
                problem = 'NAK' if frame.header == cctalk.NAK else 'busy'
                time.sleep(0.05 * (attempt + 1))
                continue
            if frame.header != cctalk.ACK:
                problem = f"reply header {frame.header}"
                continue
            return frame.data
        self.state = 'offline'
        raise DeviceError('offline', f"bill validator {self.address} on {self.port} does not answer header "
                                     f"{header}: {problem}")

    # -------------------------------------------------------------- commands
    def simple_poll(self):
        self.request(cctalk.SIMPLE_POLL)
        return True

    def identify(self):
        """Category and bill types (with their values, from headers 157 and 156)."""
        self.category = self.request(cctalk.REQUEST_EQUIPMENT_CATEGORY).decode('ascii', 'replace').strip()
        factors, bill_types = {}, {}
        for number in range(1, cctalk.BILL_TYPES + 1):
            code = self.request(cctalk.REQUEST_BILL_ID, bytes([number])).decode('ascii', 'replace')
            bill = cctalk.parse_bill_id(code)
            if bill is None:
                continue
            if bill.country not in factors:
                factors[bill.country] = cctalk.scaling(
                    self.request(cctalk.REQUEST_COUNTRY_SCALING_FACTOR, bill.country.encode('ascii')))
            factor, decimals = factors[bill.country]
            if not factor:
                _logger.warning("bill type %s (%s): the validator has no scaling factor for %s",
                                number, code, bill.country)
                continue
            bill_types[number] = BillType(number, code, bill.country,
                                          cctalk.bill_value(bill.value_code, factor, decimals))
        self.bill_types = bill_types
        if self.state in ('unknown', 'offline'):
            self.state = 'ok'
        return {'category': self.category, 'bill_types': bill_types}

    def enable(self, denominations):
        """Accept the notes of these values (Decimals, of this acceptor's country), nothing else,
        and lift the master inhibit. Returns the values enabled."""
        if not self.bill_types:
            self.identify()
        wanted = set(denominations)
        chosen = [bill for bill in self.bill_types.values() if bill.country == self.country and bill.value in wanted]
        missing = wanted - {bill.value for bill in chosen}
        if missing:
            _logger.warning("the bill validator takes no %s note of %s", self.country,
                            ', '.join(str(value) for value in sorted(missing)))
        if not chosen:
            raise DeviceError('no_denominations', f"the bill validator takes none of {sorted(wanted)} ({self.country})")
        if self.counter is None:
            self.poll()               # the events already in the buffer are not this session's
        self.request(cctalk.MODIFY_INHIBIT_STATUS, cctalk.inhibit_mask(bill.number for bill in chosen))
        self.request(cctalk.MODIFY_MASTER_INHIBIT, b'\x01')      # bit 0 = 1: normal operation
        return sorted(bill.value for bill in chosen)

    def disable(self):
        """Master inhibit on, every bill type inhibited, and a note in escrow handed back: a note
        is never stacked without the server's yes."""
        self.request(cctalk.MODIFY_MASTER_INHIBIT, b'\x00')
        self.request(cctalk.MODIFY_INHIBIT_STATUS, b'\x00\x00')
        self.route(cctalk.ROUTE_RETURN)

    def route(self, code):
        """Header 154. True if done, False if the escrow was empty; DeviceError if it failed."""
        reply = self.request(cctalk.ROUTE_BILL, bytes([code]))
        if not reply:
            return True
        if reply[0] == cctalk.ROUTE_ESCROW_EMPTY:
            return False
        raise DeviceError('route_failed', f"the bill validator could not route the note (code {code}): {reply[0]}")

    def stack(self):
        return self.route(cctalk.ROUTE_STACK)

    def return_bill(self):
        return self.route(cctalk.ROUTE_RETURN)

    def hold(self):
        """Keep the note in escrow longer (while the server answers)."""
        return self.route(cctalk.ROUTE_EXTEND_ESCROW)

    def reset(self):
        self.request(cctalk.RESET_DEVICE)
        self.counter = None

    def poll(self):
        """The events since the last poll, oldest first (BillEvent). The first poll after open()
        only takes the counter: older events are not this session's."""
        counter, pairs = cctalk.parse_bill_events(self.request(cctalk.READ_BUFFERED_BILL_EVENTS))
        events = []
        if self.counter is not None and self.counter and counter == 0:
            events.append(BillEvent('reset', None))
        new, lost = cctalk.new_event_count(self.counter, counter)
        if lost:
            _logger.error("bill validator: %d events lost between two reads", lost)
            events.append(BillEvent('fault', 'lost_events'))
        events.extend(_event(a, b, self.bill_types) for a, b in reversed(pairs[:new]))
        self.counter = counter
        self._track(events)
        return events

    def _track(self, events):
        for event in events:
            if event.kind == 'fault' and event.value in cctalk.STOPPING_FAULTS:
                self.state = event.value
            elif event.kind in ('reset', 'stacked') or event.value in cctalk.CLEARING_STATUSES:
                self.state = 'ok'
        if self.state in ('unknown', 'offline'):
            self.state = 'ok'

    def status(self):
        """The state the server shows on its dashboard: ok, offline, jam, cashbox_full...
        (reads the events, so that a cashbox emptied while idle is seen)."""
        try:
            for event in self.poll():
                if event.kind in ('stacked', 'escrow'):
                    _logger.error("bill validator: %s %s outside a cash job", event.kind, event.value)
                    if event.kind == 'escrow':
                        self.return_bill()
        except DeviceError as error:
            return error.code if error.code == 'offline' else self.state
        return self.state
