"""A virtual ESC/POS network printer, for tests and the demo kiosk (development only).

It listens on TCP like a real printer's raw port 9100, serves one connection at a time, answers
the real-time status requests DLE EOT 1-4 with the status bytes of an Epson-compatible printer,
and saves every byte of each connection that printed something as DIR/slip-0001.bin, -0002...
(connections that only asked the status save nothing). Its paper state (ok, low, out) lives in
the file DIR/paper, so another process can change it: `echo out > DIR/paper`. With the paper out,
the printer reports it and drops what it is sent anyway, as a printer emptied of its buffer.

decode_escpos() turns captured bytes back into the printed text, for tests and for reading jobs.
"""
import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

_logger = logging.getLogger(__name__)

DLE, ESC, FS, GS = 0x10, 0x1B, 0x1C, 0x1D
PAPER_STATES = ('ok', 'low', 'out')
IDLE_TIMEOUT = 30.0      # seconds a silent connection is kept, then the printer serves the next one

# Parameter bytes after ESC/GS/FS + command character, for the fixed-length commands; the others
# are in _SPECIAL, and an unknown command is taken as its two bytes alone.
_FIXED = {
    ESC: {'@': 0, '<': 0, '2': 0, 'i': 0, 'm': 0, 'L': 0, 'S': 0, 'F': 0,
          ' ': 1, '!': 1, '-': 1, '3': 1, 'E': 1, 'G': 1, 'J': 1, 'K': 1, 'M': 1, 'R': 1, 'T': 1, 'U': 1,
          'V': 1, 'a': 1, 'd': 1, 'e': 1, 'r': 1, 't': 1, '{': 1, '=': 1, '?': 1, '%': 1, 'u': 1, 'v': 0,
          'l': 1, 'Q': 1, 'c': 2, '$': 2, '\\': 2, 'B': 2, 'p': 3, 'W': 8},
    GS: {'!': 1, 'B': 1, 'H': 1, 'I': 1, 'a': 1, 'b': 1, 'f': 1, 'h': 1, 'w': 1, 'r': 1, '/': 1, 'j': 1,
         'T': 1, ':': 0, 'L': 2, 'W': 2, 'P': 2, '$': 2, '\\': 2, '^': 3},
    FS: {'&': 0, '.': 0, '!': 1, '-': 1, 'W': 1, 'C': 1, 'S': 2, 'p': 2, '2': 74},
}


def _sized(header, body):
    """A command of `header` bytes whose parameters tell how many data bytes follow (`body(header)`)."""
    def length(data, i):
        if i + header > len(data):
            return None
        total = header + body(data[i:i + header])
        return total if i + total <= len(data) else None
    return length


def _until_nul(start):
    """A command ended by a NUL byte, looked for from `start` bytes on."""
    def length(data, i):
        end = data.find(b'\x00', i + start)
        return None if end < 0 else end + 1 - i
    return length


def _barcode(data, i):
    """GS k m: NUL-terminated data (m <= 6) or counted data (GS k m n d1...dn)."""
    if i + 2 >= len(data):
        return None
    return _until_nul(3)(data, i) if data[i + 2] <= 6 else _sized(4, lambda h: h[3])(data, i)


def _block(h):
    return h[3] + 256 * h[4]            # ESC/GS/FS ( X pL pH: the data length


_SPECIAL = {
    (DLE, '\x04'): _sized(3, lambda h: 1 if h[2] in (7, 8, 18) else 0),    # DLE EOT n [a]
    (DLE, '\x05'): _sized(3, lambda h: 0),                                 # DLE ENQ n
    (DLE, '\x14'): _sized(3, lambda h: {7: 1, 8: 7}.get(h[2], 2)),          # DLE DC4 fn ...
    (ESC, '*'): _sized(5, lambda h: (h[3] + 256 * h[4]) * (3 if h[2] >= 32 else 1)),   # column bit image
    (ESC, 'D'): _until_nul(2),                                              # tab stops
    (ESC, '('): _sized(5, _block),
    (GS, '('): _sized(5, _block),
    (FS, '('): _sized(5, _block),
    (GS, 'V'): _sized(3, lambda h: 0 if h[2] in (0, 1, 48, 49) else 1),      # cut [feed n]
    (GS, 'v'): _sized(8, lambda h: (h[4] + 256 * h[5]) * (h[6] + 256 * h[7])),   # GS v 0: raster image
    (GS, '8'): _sized(7, lambda h: int.from_bytes(h[3:7], 'little')),       # GS 8 L: long graphics
    (GS, '*'): _sized(4, lambda h: h[2] * h[3] * 8),                        # downloaded bit image
    (GS, 'k'): _barcode,
}


def _command_length(data, i):
    """Length of the command starting at data[i] (DLE, ESC, GS or FS), None if not all received yet."""
    if i + 1 >= len(data):
        return None
    lead, char = data[i], chr(data[i + 1])
    special = _SPECIAL.get((lead, char))
    if special:
        return special(data, i)
    if lead == DLE:
        return 1                                 # a lone DLE: not a command
    length = 2 + _FIXED[lead].get(char, 0)
    return length if i + length <= len(data) else None


class Printout(str):
    """The printed text (a str) with what else the printer was told: `cut` (a cut was sent) and
    `images` (raster images printed: GS v 0 or GS ( L; the slip's QR code is one)."""

    cut = False
    images = 0


def decode_escpos(data):
    """The text the bytes print, newlines kept: command sequences are skipped with their
    parameters, GB18030 is decoded inside FS & ... FS ., bytes above 0x7F outside it as PC437
    (the ESC/POS default code page). Returns a Printout (a str with .cut and .images)."""
    out, chinese, cuts, images, i = [], False, 0, 0, 0
    data = bytes(data)
    while i < len(data):
        byte = data[i]
        if byte in (DLE, ESC, GS, FS):
            length = _command_length(data, i) or len(data) - i      # a truncated command ends the data
            command = data[i:i + length]
            if command[:2] in (b'\x1c&', b'\x1b@'):
                chinese = command[:2] == b'\x1c&'
            elif command[:2] == b'\x1c.':
                chinese = False
            elif command[:2] in (b'\x1dV', b'\x1bi', b'\x1bm'):
                cuts += 1
            elif command[:3] == b'\x1dv0' or (command[:3] == b'\x1d(L' and command[6:7] == b'2'):
                images += 1                                          # GS v 0, GS ( L fn 50: print an image
            elif command[:2] == b'\x1bd':
                out.append('\n' * command[2])
            i += length
        elif byte >= 0x80 and chinese:
            width = 4 if i + 1 < len(data) and 0x30 <= data[i + 1] <= 0x39 else 2
            out.append(data[i:i + width].decode('gb18030', errors='replace'))
            i += width
        else:
            if byte >= 0x80:
                out.append(bytes([byte]).decode('cp437'))
            elif byte in (0x0A, 0x0C):
                out.append('\n')
            elif byte == 0x09:
                out.append(' ')
            elif byte >= 0x20 and byte != 0x7F:
                out.append(chr(byte))
            i += 1
    printout = Printout(''.join(out))
    printout.cut, printout.images = cuts > 0, images
    return printout


def status_byte(n, paper):
    """The answer of an Epson-compatible printer to DLE EOT n (bits 1 and 4 are always set)."""
    out = paper == 'out'
    if n == 1:
        return 0x12 | (0x08 if out else 0)          # bit 3: offline (a printer stops at paper end)
    if n == 2:
        return 0x12 | (0x20 if out else 0)          # bit 5: printing stopped by paper end
    if n == 4:
        return 0x12 | {'ok': 0, 'low': 0x0C, 'out': 0x6C}[paper]   # bits 2-3 near end, 5-6 end
    return 0x12


class VirtualPrinter:
    """The virtual printer. VirtualPrinter(port=0, directory=d) picks a free port (`.port`);
    start() serves in a thread (or use it as a context manager), serve_forever() in this one."""

    def __init__(self, host='127.0.0.1', port=9100, directory='printer-jobs', paper='ok'):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.answers_status = True      # False: a printer that hangs (tests of the bridge's timeout)
        self.dropped = 0                # jobs received with the paper out
        self.set_paper(paper)
        self._server = socket.create_server((host, port))
        self._server.settimeout(0.2)
        self.host, self.port = self._server.getsockname()[:2]
        numbers = [int(path.stem.split('-')[1]) for path in self.directory.glob('slip-*.bin')
                   if path.stem.split('-')[1].isdigit()]
        self._next = max(numbers, default=0) + 1
        self._saved = threading.Condition()
        self._stopping = threading.Event()
        self._thread = None

    @property
    def paper(self):
        try:
            state = (self.directory / 'paper').read_text().strip()
        except OSError:
            return 'ok'
        return state if state in PAPER_STATES else 'ok'

    def set_paper(self, state):
        if state not in PAPER_STATES:
            raise ValueError(f"paper state must be one of {PAPER_STATES}, not {state!r}")
        temporary = self.directory / '.paper.tmp'
        temporary.write_text(state + '\n')
        os.replace(temporary, self.directory / 'paper')

    def jobs(self):
        """The saved jobs, oldest first."""
        return sorted(self.directory.glob('slip-*.bin'))

    def wait_for_jobs(self, count, timeout=5.0):
        """The saved jobs once there are `count` of them (a job is saved when its connection closes)."""
        deadline = time.monotonic() + timeout
        with self._saved:
            while len(self.jobs()) < count and time.monotonic() < deadline:
                self._saved.wait(0.05)
        return self.jobs()

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, name='virtual-printer', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._server.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    def serve_forever(self):
        while not self._stopping.is_set():
            try:
                connection, _address = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            with connection:
                self._serve(connection)

    def _serve(self, connection):
        received, position, printed, idle = bytearray(), 0, False, 0.0
        connection.settimeout(0.2)
        while not self._stopping.is_set() and idle < IDLE_TIMEOUT:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                idle += 0.2
                continue
            except OSError:
                break
            if not chunk:
                break
            idle = 0.0
            received += chunk
            position, printed_now = self._react(connection, received, position)
            printed = printed or printed_now
        if printed:
            self._save(bytes(received))

    def _react(self, connection, data, position):
        """Answer the status requests among the newly received commands; returns the position of
        the first command not complete yet, and whether anything but status requests came."""
        printed = False
        while position < len(data):
            if data[position] in (DLE, ESC, GS, FS):
                length = _command_length(data, position)
                if length is None:
                    break
                if data[position:position + 2] == b'\x10\x04':
                    if self.answers_status:
                        try:
                            connection.sendall(bytes([status_byte(data[position + 2], self.paper)]))
                        except OSError:
                            pass
                else:
                    printed = True
                position += length
            else:
                printed = True
                position += 1
        return position, printed

    def _save(self, data):
        if self.paper == 'out':
            self.dropped += 1
            _logger.warning("paper out: dropped a job of %d bytes", len(data))
            return
        with self._saved:
            path = self.directory / f'slip-{self._next:04d}.bin'
            self._next += 1
            path.write_bytes(data)
            self._saved.notify_all()
        printout = decode_escpos(data)
        _logger.info("%s: %d bytes, %s\n%s", path.name, len(data), 'cut' if printout.cut else 'no cut',
                     printout.rstrip())


def main_emulate_printer(argv=None):
    """`card-bridge emulate-printer [--host H] [--port 9100] [--dir DIR] [--paper ok|low|out]`:
    serve a virtual printer until SIGTERM or Ctrl-C. Returns the exit status."""
    parser = argparse.ArgumentParser(prog='card-bridge emulate-printer',
                                     description="a virtual ESC/POS network printer (development only)")
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=9100)
    parser.add_argument('--dir', type=Path, default=Path('printer-jobs'), help="where the jobs are saved")
    parser.add_argument('--paper', choices=PAPER_STATES, default='ok',
                        help="initial paper state; later: echo out > DIR/paper")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(message)s')
    try:
        printer = VirtualPrinter(args.host, args.port, args.dir, args.paper)
    except OSError as error:
        print(f"card-bridge emulate-printer: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"virtual printer on tcp://{printer.host}:{printer.port}, jobs in {args.dir} "
          f"(paper {printer.paper}: echo ok|low|out > {args.dir / 'paper'})", flush=True)
    try:
        printer.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
    return 0
