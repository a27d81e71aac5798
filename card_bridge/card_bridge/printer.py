"""The kiosk's ESC/POS receipt printer (80 mm or 58 mm thermal), through python-escpos.

Slips carry Chinese: python-escpos's magic encoding picks single-byte code pages and cannot
print CJK, so every run of non-ASCII characters is sent here in GB18030 inside the Chinese
character mode (FS & ... FS .), which Chinese ESC/POS printers print as full-width (2-column)
glyphs; ASCII goes through the library as plain ASCII.

Printer URLs:
  tcp://192.168.1.50:9100                 network printer (raw port 9100)
  serial:///dev/ttyS0?baudrate=19200      serial printer (also dsrdtr=0|1, xonxoff=0|1)
  usb://04b8:0e15                         USB printer, vendor:product in hex (also in_ep, out_ep)
Every URL also takes columns=48 (80 mm paper, the default) or columns=32 (58 mm).
"""
import itertools
import logging
import threading
import unicodedata
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

import qrcode
from escpos.capabilities import Profile
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, Network, Serial, Usb

from .devices import DeviceError

_logger = logging.getLogger(__name__)

CHINESE_ON = b'\x1c&'          # FS &: enter the Chinese character mode
CHINESE_OFF = b'\x1c.'         # FS .: leave it
STATUS_PRINTER = b'\x10\x04\x01'   # DLE EOT 1: printer status (bit 3: offline)
STATUS_PAPER = b'\x10\x04\x04'     # DLE EOT 4: roll paper sensors (bits 2-3: near end, bits 5-6: end)
STATUS_TIMEOUT = 2.0           # seconds a printer has to answer a status request
PRINT_TIMEOUT = 15.0           # seconds to hand a slip over once the printer answered
DOTS_PER_COLUMN = 12           # font A is 12 dots wide: 48 columns = 576 dots (80 mm), 32 = 384 (58 mm)
_SUBSTITUTES = str.maketrans({'¥': '￥'})   # U+00A5 is 4 bytes in GB18030, which GBK printers lack

_locks = defaultdict(threading.Lock)   # one job at a time per printer (port 9100 serves one connection)


class _ReceiptProfile(Profile):
    """python-escpos's default profile with the paper width known: the library centres the QR code
    image on it (and complains on stdout when the width is unknown)."""

    def __init__(self, columns):
        super().__init__(columns=columns, features=dict(Profile.profile_data['features']))
        pixels = columns * DOTS_PER_COLUMN
        self.profile_data = {**Profile.profile_data,
                             'media': {'dpi': 203, 'width': {'mm': round(pixels / 8), 'pixels': pixels}}}


def _cols(char):
    """Columns a character takes on the paper: ASCII 1, anything sent in Chinese mode 2."""
    return 1 if char < '\x80' else 2


def text_width(text):
    """Display width in printer columns (a CJK character counts 2)."""
    return sum(_cols(char) for char in text)


def _clean(value, keep_newlines=False):
    """Slip text as printable text: a control character in server data must not become a printer command."""
    text = '' if value is None else str(value)
    text = text.translate(_SUBSTITUTES)
    return ''.join(char if (char == '\n' and keep_newlines) or unicodedata.category(char) != 'Cc' else ' '
                   for char in text)


def _wrap(text, width):
    """Rows of at most `width` columns: ASCII words break at spaces, CJK text anywhere."""
    width = max(width, 2)
    rows = []
    for paragraph in text.split('\n'):
        row, used = '', 0
        for char in paragraph:
            if used + _cols(char) > width:
                cut = row.rfind(' ')
                tail = row[cut + 1:]
                if char != ' ' and char.isascii() and cut > 0 and tail and tail.isascii():
                    rows.append(row[:cut].rstrip())
                    row = tail
                else:
                    rows.append(row.rstrip())
                    row = ''
                used = text_width(row)
                if char == ' ' and not row:
                    continue
            row += char
            used += _cols(char)
        rows.append(row.rstrip())
    return rows


def _pair_rows(label, value, columns):
    """A label left and its value right on one row; on two or more when they do not fit together."""
    label, value = _clean(label).strip(), _clean(value).strip()
    if not value:
        return _wrap(label, columns)
    gap = columns - text_width(label) - text_width(value)
    if gap >= 1:
        return [label + ' ' * gap + value]
    rows = _wrap(label, columns) if label else []
    return rows + [' ' * (columns - text_width(row)) + row for row in _wrap(value, columns)]


def _emit(printer, text):
    """Write text: ASCII runs through python-escpos, other runs as GB18030 framed by FS & / FS .."""
    for is_ascii, run in itertools.groupby(text, key=lambda char: char < '\x80'):
        run = ''.join(run)
        if is_ascii:
            printer.text(run)
        else:
            printer._raw(CHINESE_ON + run.encode('gb18030', errors='replace') + CHINESE_OFF)


def _qr_size(content, columns):
    """The largest module size (dots, at most 8) at which the code fits the paper."""
    code = qrcode.QRCode(border=1)
    code.add_data(content)
    code.make(fit=True)
    return max(1, min(8, columns * DOTS_PER_COLUMN // (code.modules_count + 2)))


def render_slip(slip, columns=48):
    """The ESC/POS bytes of a slip {'title', 'lines': [[label, value], ...], 'footer'?, 'qr'?} for a
    paper of `columns` columns (48: 80 mm, 32: 58 mm). The QR code is sent as a raster image
    (GS v 0), which every thermal printer prints, rather than the printer's own QR command."""
    printer = Dummy(profile=_ReceiptProfile(columns))
    printer.hw('INIT')
    printer.set(align='center', bold=True, custom_size=True, width=2, height=2)
    for row in _wrap(_clean(slip.get('title'), keep_newlines=True), columns // 2):
        _emit(printer, row + '\n')
    printer.set(align='left', bold=False, custom_size=True, width=1, height=1)
    rule = '-' * columns + '\n'
    _emit(printer, rule)
    for line in slip.get('lines') or ():
        label, value = (list(line) + ['', ''])[:2]
        for row in _pair_rows(label, value, columns):
            _emit(printer, row + '\n')
    _emit(printer, rule)
    footer = _clean(slip.get('footer'), keep_newlines=True).strip()
    if footer:
        printer.set(align='center')
        for row in _wrap(footer, columns):
            _emit(printer, row + '\n')
        printer.set(align='left')
    if slip.get('qr'):
        printer.qr(str(slip['qr']), size=_qr_size(str(slip['qr']), columns), center=True)
    printer.cut(mode='PART')          # ESC d 6 (feed past the cutter) + GS V 1 (partial cut)
    return printer.output


def _columns(url):
    return int(parse_qs(urlsplit(url).query).get('columns', ['48'])[0])


def _connect(url, timeout):
    """An open python-escpos printer for the URL; DeviceError('offline') when it cannot be reached."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.scheme == 'tcp':
        printer = Network(host=parts.hostname, port=parts.port or 9100, timeout=timeout)
    elif parts.scheme == 'serial':
        printer = Serial(devfile=parts.netloc + parts.path, baudrate=int(query.get('baudrate', 9600)), timeout=timeout,
                         dsrdtr=query.get('dsrdtr', '1') == '1', xonxoff=query.get('xonxoff', '0') == '1')
    elif parts.scheme == 'usb':
        vendor, _, product = parts.netloc.partition(':')
        printer = Usb(int(vendor, 16), int(product, 16), timeout=int(PRINT_TIMEOUT * 1000),
                      in_ep=int(query.get('in_ep', '82'), 16), out_ep=int(query.get('out_ep', '01'), 16))
    else:
        raise ValueError(f"unsupported printer URL {url!r} (tcp://, serial://, usb://)")
    try:
        printer.open()
    except (DeviceNotFoundError, OSError, ValueError) as error:   # pyusb's NoBackendError is a ValueError
        raise DeviceError('offline', f"cannot open {url}: {error}") from None
    return printer


def _query(printer, command):
    """The status byte the printer answers to a DLE EOT request, None when it stays silent."""
    try:
        printer._raw(command)
        # python-escpos' Serial._read waits for 16 bytes: read the single status byte instead
        answer = printer.device.read(1) if isinstance(printer, Serial) else printer._read()
    except OSError:
        return None
    if not answer:
        return None
    byte = answer[-1]
    return byte if byte & 0x93 == 0x12 else None     # bits 1 and 4 are always 1, bits 0 and 7 always 0


def _state(printer, url):
    """ok, paper_low, paper_out or offline, from DLE EOT 1 and DLE EOT 4."""
    online = _query(printer, STATUS_PRINTER)
    paper = _query(printer, STATUS_PAPER) if online is not None else None
    if paper is None:
        raise DeviceError('offline', f"{url} does not answer its status requests")
    if paper & 0x60:
        return 'paper_out'
    if online & 0x08:
        return 'offline'       # offline for another reason: cover open, cutter error...
    if paper & 0x0C:
        return 'paper_low'
    return 'ok'


def _close(printer):
    try:
        printer.close()
    except OSError:
        pass


def printer_status(url, timeout=STATUS_TIMEOUT):
    """{'state': 'ok'|'paper_low'|'paper_out'|'offline'}; never raises for an unreachable printer."""
    with _locks[url]:
        try:
            printer = _connect(url, timeout)
        except DeviceError:
            return {'state': 'offline'}
        try:
            return {'state': _state(printer, url)}
        except DeviceError:
            return {'state': 'offline'}
        finally:
            _close(printer)


def print_slip(url, slip, timeout=STATUS_TIMEOUT):
    """Print a slip after asking the printer its status, so that a customer is never told to take a
    receipt that did not print. Returns 'ok' or 'low' (paper near its end); raises
    DeviceError('paper_out') or DeviceError('offline') without sending anything."""
    data = render_slip(slip, _columns(url))
    with _locks[url]:
        printer = _connect(url, timeout)
        try:
            state = _state(printer, url)
            if state in ('paper_out', 'offline'):
                raise DeviceError(state, f"{url}: {state}")
            if isinstance(printer, Network):
                printer.device.settimeout(PRINT_TIMEOUT)
            elif isinstance(printer, Serial):
                printer.device.write_timeout = PRINT_TIMEOUT
            try:
                printer._raw(data)
            except OSError as error:
                raise DeviceError('offline', f"{url}: lost while printing: {error}") from None
        finally:
            _close(printer)
    _logger.info("printed a slip of %d bytes on %s (paper %s)", len(data), url, state)
    return 'low' if state == 'paper_low' else 'ok'
