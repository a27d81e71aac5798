"""The head-end's backend on the Odoo server, over HTTP, authenticated like the card bridge.

A head-end is paired once (``head-end pair URL CODE --config FILE``): the 8-digit code shown on a
Card Bridge record of service "Meter head-end" is exchanged for the record's id and a secret,
kept in a JSON file of mode 0600::

    {"url": "http://127.0.0.1:8069", "bridge_id": 7, "secret": "<64 hex>"}

Then every request is signed (``auth.request_headers``): ``POST /prepaid/head_end/work`` (body
``{}``) gives the ``Work``, ``POST /prepaid/head_end/report`` (body ``Report.to_json()``) takes a
report. A report is first appended to a spool next to the config (``<config>.spool.jsonl``, one
report per line, fsync'ed), then the spool is delivered in order and each report leaves it only
after a 2xx answer: a report is never lost to a server outage, a 5xx, a network error or a
restart of the head-end (it may arrive twice after a timeout: the server keeps one reading per
meter and day and one result per command id). A 4xx that is about the report's content moves it
to ``<config>.rejected.jsonl`` with the server's error, so that one bad report does not block
the others. 401/403 (not paired, revoked, wrong secret, clock off by more than the server
allows), 404 and the like say nothing about the report: it stays in the spool.
Standard library only: urllib.request, run in a thread (``asyncio.to_thread``).
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import http.client
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import auth
from .backend import Report, Work

_logger = logging.getLogger(__name__)

PAIR_PATH = '/prepaid/head_end/pair'
WORK_PATH = '/prepaid/head_end/work'
REPORT_PATH = '/prepaid/head_end/report'
# 4xx answers that say nothing about a report's content: it stays in the spool.
KEEP_STATUSES = frozenset({401, 403, 404, 405, 407, 408, 421, 425, 429})
NOT_PAIRED_HINT = ("not paired, revoked on the server, wrong secret, or this machine's clock is off: "
                   "pair again with `head-end pair URL CODE --config FILE`")


class ConfigError(ValueError):
    """The config file is missing, unreadable, badly formed or readable by other users."""


class ServerError(Exception):
    """The server answered with an error (``status``: its HTTP status) or could not be reached
    (``status`` None)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class NotPaired(ServerError):
    """401/403: the server does not accept this head-end's signature."""


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    url: str
    bridge_id: int
    secret: str

    def __post_init__(self):
        if not isinstance(self.url, str) or not self.url.startswith(('http://', 'https://')):
            raise ConfigError(f"url: {self.url!r} is not an http:// or https:// URL")
        if not isinstance(self.bridge_id, int) or isinstance(self.bridge_id, bool) or self.bridge_id <= 0:
            raise ConfigError(f"bridge_id: {self.bridge_id!r} is not a positive integer")
        if not isinstance(self.secret, str) or len(self.secret) != 64 or not _is_hex(self.secret):
            raise ConfigError("secret: 64 hexadecimal digits are expected")
        object.__setattr__(self, 'url', self.url.rstrip('/'))

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def load_config(path: Path) -> ServerConfig:
    path = Path(path)
    try:
        mode = path.stat().st_mode
        data = json.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError:
        raise ConfigError(f"not paired: {path} does not exist (run `head-end pair URL CODE --config {path}`)") \
            from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None
    if os.name == 'posix' and mode & 0o077:
        raise ConfigError(f"{path} is readable by other users: chmod 600 it")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a JSON object is expected")
    try:
        return ServerConfig(data.get('url'), data.get('bridge_id'), data.get('secret'))
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def save_config(path: Path, config: ServerConfig) -> None:
    """Write the config (mode 0600), so that a crash leaves the old one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(path, (json.dumps(config.to_json(), indent=1) + '\n').encode('utf-8'))


def _replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` (mode 0600) through a temporary file, fsync'ed: a crash
    leaves either the old file or the new one."""
    tmp = path.with_name(path.name + '.tmp')
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'wb') as handle:
        os.chmod(tmp, 0o600)                # whatever the umask, and if the file was there
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != 'posix':
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- HTTP ----------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a GET without its body: the 3xx is an error instead."""

    def redirect_request(self, *args, **kwargs):
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect())


def post(url: str, body: bytes, headers: dict, timeout: float, opener=None) -> tuple[int, dict]:
    """POST ``body``; the HTTP status and the JSON object answered ({} if none). A server that
    cannot be reached (refused, timeout, reset, bad answer) raises ``ServerError`` (status None)."""
    request = urllib.request.Request(url, data=body, headers=headers, method='POST')
    try:
        try:
            with (opener or _opener()).open(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, location = error.code, error.headers.get('Location') if error.headers else None
            try:
                raw = error.read() if error.fp else b''
            finally:
                error.close()
            if 300 <= status < 400:
                raw = json.dumps({'error': f"redirected to {location}: put that URL in the config"}).encode()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, 'reason', None) or error
        raise ServerError(f"{url} cannot be reached: {reason}") from None
    try:
        data = json.loads(raw.decode('utf-8')) if raw.strip() else {}
    except ValueError:
        data = {'error': f"HTTP {status}, not JSON: {raw[:200].decode('utf-8', 'replace')!r}"}
    return status, data if isinstance(data, dict) else {'error': f"HTTP {status}, not a JSON object"}


def _error(status: int, data: dict) -> str:
    return str(data.get('error') or f"HTTP {status}")


def pair(url: str, code: str, config_path: Path, name: str = '', timeout: float = 15.0,
         opener=None) -> ServerConfig:
    """Exchange the pairing code shown on the server for the bridge id and secret; write the
    config file (mode 0600)."""
    code = code.strip()
    if not (len(code) == 8 and code.isdigit()):
        raise ServerError(f"the pairing code has 8 digits, not {code!r}")
    config_url = url.rstrip('/')
    if not config_url.startswith(('http://', 'https://')):
        raise ServerError(f"{url!r} is not an http:// or https:// URL")
    body = json.dumps({'code': code, 'name': name}).encode()
    status, data = post(config_url + PAIR_PATH, body, {'Content-Type': 'application/json'}, timeout, opener)
    if status != 200:
        raise ServerError(f"pairing refused: {_error(status, data)}", status)
    try:
        config = ServerConfig(config_url, data.get('bridge_id'), data.get('secret'))
    except ConfigError as error:
        raise ServerError(f"the server's pairing answer is not understood: {error}", status) from None
    save_config(config_path, config)
    return config


# --- the spool -----------------------------------------------------------------------------------

class Spool:
    """Reports waiting for the server: one JSON object per line, appended and fsync'ed."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, line: str) -> None:
        new = not self.path.exists()
        with self.path.open('a+b') as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell():                      # a line torn by a crash must not swallow this one
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b'\n'
                handle.seek(0, os.SEEK_END)
                if torn:
                    handle.write(b'\n')
            handle.write(line.encode('utf-8') + b'\n')
            handle.flush()
            os.fsync(handle.fileno())
        if new:
            _fsync_directory(self.path.parent)

    def lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding='utf-8')
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def __len__(self) -> int:
        return len(self.lines())

    def drain(self, send) -> list[str]:
        """``send(line)`` each line in order until it returns False; the lines sent leave the
        file (rewritten once, at the end). The lines still waiting."""
        lines = self.lines()
        done = 0
        for line in lines:
            if not send(line):
                break
            done += 1
        if done == len(lines):
            if lines:
                self.path.unlink(missing_ok=True)
        elif done:
            _replace_file(self.path, ''.join(line + '\n' for line in lines[done:]).encode('utf-8'))
        return lines[done:]


# --- the backend ---------------------------------------------------------------------------------

class ServerBackend:
    """``fetch_work`` / ``report`` on the Odoo server (see the module's docstring).

    ``timeout``: seconds for one HTTP request. ``retry_after``: after a failed delivery, reports
    go straight to the spool for that many seconds (the next ``fetch_work`` tries the server
    whatever it is). The config file is read again when it changes (a head-end paired again while
    it runs)."""

    def __init__(self, config_path: Path, *, timeout: float = 30.0, retry_after: float = 30.0):
        self.config_path = Path(config_path)
        self.config = load_config(self.config_path)
        self._config_stamp = self._stamp()
        self.spool = Spool(self.config_path.with_name(self.config_path.name + '.spool.jsonl'))
        self.rejected_path = self.config_path.with_name(self.config_path.name + '.rejected.jsonl')
        self.timeout = timeout
        self.retry_after = retry_after
        self._down_until = 0.0
        self._unreachable: ServerError | None = None
        self._opener = _opener()
        self._lock = threading.Lock()        # one request at a time: the server wants increasing timestamps

    # --- the Backend protocol ----------------------------------------------------------------------

    async def fetch_work(self) -> Work:
        return await asyncio.to_thread(self._fetch_work)

    async def report(self, report: Report) -> None:
        line = json.dumps(report.to_json(), separators=(',', ':'))
        await asyncio.to_thread(self._report, line)

    def waiting(self) -> int:
        """How many reports wait in the spool."""
        return len(self.spool)

    # --- in a thread -------------------------------------------------------------------------------

    def _stamp(self):
        try:
            stat = self.config_path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _current_config(self) -> ServerConfig:
        stamp = self._stamp()
        if stamp != self._config_stamp:
            try:
                self.config = load_config(self.config_path)
                _logger.info("config %s read again: bridge %s at %s", self.config_path, self.config.bridge_id,
                             self.config.url)
            except ConfigError as error:
                _logger.error("%s (the previous config stays in use)", error)
            self._config_stamp = stamp
        return self.config

    def _post(self, path: str, body: bytes) -> tuple[int, dict]:
        config = self._current_config()
        headers = auth.request_headers(config.bridge_id, config.secret, body)
        status, data = post(config.url + path, body, headers, self.timeout, self._opener)
        if status in (401, 403):
            _logger.error("the server refused bridge %s (HTTP %s: %s): %s", config.bridge_id, status,
                          _error(status, data), NOT_PAIRED_HINT)
        return status, data

    def _fetch_work(self) -> Work:
        with self._lock:
            self._unreachable = None
            waiting = self._drain()
            if self._unreachable:                  # no second wait for a server that did not answer
                raise self._unreachable
            status, data = self._post(WORK_PATH, b'{}')
            if status in (401, 403):
                raise NotPaired(f"work refused (HTTP {status}): {NOT_PAIRED_HINT}", status)
            if status != 200 or 'error' in data:
                raise ServerError(f"work: HTTP {status}: {_error(status, data)}", status)
            work = Work.from_json(data)
            if waiting:
                self._mark_sent_before(work, waiting)
            return work

    @staticmethod
    def _mark_sent_before(work: Work, waiting_lines: list[str]) -> None:
        """The server has not heard yet of the commands whose results wait in the spool: a fresh
        head-end must read their relay before sending them again."""
        waiting = set()
        for line in waiting_lines:
            try:
                waiting.update(str(result.get('id')) for result in json.loads(line).get('commands', ()))
            except (ValueError, AttributeError):
                continue
        for command in work.commands:
            if command.id in waiting:
                command.sent_before = True

    def _report(self, line: str) -> None:
        with self._lock:
            self.spool.append(line)
            if time.monotonic() < self._down_until:
                _logger.debug("server down: report spooled")
                return
            self._drain()

    def _drain(self) -> list[str]:
        """Deliver the spool in order; the reports still waiting (JSON lines)."""
        delivered = []
        waiting = self.spool.drain(lambda line: self._deliver(line, delivered))
        if waiting:
            self._down_until = time.monotonic() + self.retry_after
        else:
            self._down_until = 0.0
        if len(delivered) > 1 or (delivered and waiting):
            _logger.info("%s spooled reports delivered, %s waiting", len(delivered), len(waiting))
        return waiting

    def _deliver(self, line: str, delivered: list) -> bool:
        """Whether the line may leave the spool (delivered, or refused for its content)."""
        try:
            json.loads(line)
        except ValueError:
            self._reject(line, None, "not JSON (a line torn by a crash?)")
            return True
        try:
            status, data = self._post(REPORT_PATH, line.encode('utf-8'))
        except ServerError as error:
            _logger.warning("%s: report kept in the spool", error)
            self._unreachable = error
            return False
        if 200 <= status < 300 and 'error' not in data:
            delivered.append(line)
            return True
        if 400 <= status < 500 and status not in KEEP_STATUSES:
            self._reject(line, status, _error(status, data))
            return True
        _logger.warning("report: HTTP %s from the server (%s): kept in the spool", status, _error(status, data))
        return False

    def _reject(self, line: str, status: int | None, error: str) -> None:
        _logger.error("the server refused a report (HTTP %s: %s): moved to %s", status, error, self.rejected_path)
        try:
            report = json.loads(line)
        except ValueError:
            report = line
        entry = {'rejected_at': dt.datetime.now(dt.UTC).isoformat(), 'status': status, 'error': error,
                 'report': report}
        Spool(self.rejected_path).append(json.dumps(entry, separators=(',', ':')))
