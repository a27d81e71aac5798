"""The kiosk's cash journal: every note the bill validator stacked, written to disk (and
fsynced) before the server hears of it, then marked acknowledged once the server recorded it.

A kiosk that crashes, loses power or loses the network between the cashbox taking a note and
the server recording it still has the note here: at start and after each reconnect the bridge
posts the unacknowledged notes again, with their original job and sequence number (the server
records a (job, seq) once, however often it hears of it). Append-only JSON lines, next to the
configuration file (~/.config/card-bridge/cash-journal.jsonl).
"""
import json
import logging
import os
import threading
import time
from pathlib import Path

from . import config
from .client import ServerError

_logger = logging.getLogger(__name__)

DEFAULT_PATH = config.DEFAULT_PATH.with_name('cash-journal.jsonl')


def path_for(config_path):
    return Path(config_path).with_name('cash-journal.jsonl')


class CashJournal:

    def __init__(self, path=DEFAULT_PATH):
        self.path = Path(path)
        self.lock = threading.Lock()
        self._pending = {}          # (job_id, seq) -> entry
        self._load()

    def _load(self):
        if not self.path.exists():
            return
        with self.path.open(encoding='utf-8') as handle:
            for number, line in enumerate(handle, 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    # a line cut by a power loss is the last one, and was never acknowledged
                    _logger.warning("%s line %d is not JSON (cut short?): skipped", self.path, number)
                    continue
                key = (entry.get('job_id'), entry.get('seq'))
                if entry.get('type') == 'stacked':
                    self._pending[key] = entry
                elif entry.get('type') == 'ack':
                    self._pending.pop(key, None)

    def _append(self, entry):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, sort_keys=True) + '\n'
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(descriptor).st_size:
                # a line cut short by a power loss must not swallow this one
                with open(self.path, 'rb') as reader:
                    reader.seek(-1, os.SEEK_END)
                    if reader.read(1) != b'\n':
                        line = '\n' + line
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def record(self, job, transaction, seq, value):
        """A note taken into the cashbox: on disk before anyone else hears of it."""
        entry = {'type': 'stacked', 'job_id': job['job_id'], 'nonce': job['nonce'], 'transaction': transaction,
                 'seq': seq, 'value': str(value), 'time': time.time()}
        with self.lock:
            self._append(entry)
            self._pending[(entry['job_id'], seq)] = entry
        return entry

    def ack(self, job_id, seq):
        """The server recorded note `seq` of job `job_id`."""
        with self.lock:
            if (job_id, seq) not in self._pending:
                return
            self._append({'type': 'ack', 'job_id': job_id, 'seq': seq, 'time': time.time()})
            del self._pending[(job_id, seq)]

    def pending(self):
        """The notes the server never acknowledged, oldest first."""
        with self.lock:
            return sorted(self._pending.values(), key=lambda entry: (entry['time'], entry['seq']))

    def replay(self, server):
        """Post the pending notes again (same job, nonce and seq). Returns how many the server
        acknowledged. Server unreachable: stops (next time). A note the server refuses stays
        pending (and is logged): nobody drops a note taken into the cashbox but a person."""
        done = 0
        for entry in self.pending():
            try:
                server.cash_event(entry, 'stacked', value=entry['value'], seq=entry['seq'])
            except ServerError as error:
                _logger.error("cash journal: the server refuses job %s note %s (%s): %s",
                              entry['job_id'], entry['seq'], entry['value'], error)
                continue
            except OSError as error:         # requests' errors are OSErrors: unreachable
                _logger.warning("cash journal: job %s note %s (%s) not posted yet: %s",
                                entry['job_id'], entry['seq'], entry['value'], error)
                break
            self.ack(entry['job_id'], entry['seq'])
            done += 1
        if done:
            _logger.info("cash journal: %d note(s) posted again and acknowledged", done)
        return done
