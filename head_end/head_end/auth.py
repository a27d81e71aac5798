"""How the head-end authenticates to the Odoo server: exactly as the card bridge does
(``card_bridge/protocol.py``), copied here so that the head-end needs the standard library only.

Each request carries the bridge id, a timestamp in microseconds and an HMAC-SHA256, under the
secret given at pairing, of the id, the timestamp and the SHA-256 of the body. The server refuses
a timestamp at or below the last one it accepted (and one too far from its clock).
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time

_last_timestamp = 0
_timestamp_lock = threading.Lock()


def request_signature(bridge_id, secret_hex, timestamp, body):
    """HMAC-SHA256 of one request: bridge id, timestamp (microseconds) and body digest."""
    digest = hashlib.sha256(body).hexdigest()
    return hmac.new(bytes.fromhex(secret_hex), f'{bridge_id}\n{timestamp}\n{digest}'.encode(),
                    hashlib.sha256).hexdigest()


def next_timestamp() -> int:
    """Microseconds since the epoch, strictly increasing within the process (two requests in the
    same microsecond, or the clock stepping back a little, still give increasing timestamps)."""
    global _last_timestamp
    with _timestamp_lock:
        _last_timestamp = max(time.time_ns() // 1000, _last_timestamp + 1)
        return _last_timestamp


def request_headers(bridge_id, secret_hex, body):
    """Headers that authenticate one request of the head-end to the server."""
    timestamp = next_timestamp()
    return {'X-Bridge-Id': str(bridge_id), 'X-Bridge-Time': str(timestamp),
            'X-Bridge-Signature': request_signature(bridge_id, secret_hex, timestamp, body),
            'Content-Type': 'application/json'}
