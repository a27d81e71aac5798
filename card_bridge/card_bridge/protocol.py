"""The signed messages between the server and a bridge.

Every job and every result is canonical JSON (sorted keys, no spaces) signed with
HMAC-SHA256 under the bridge's 256-bit secret. Card PSCs travel encrypted with AES-256-GCM
under a key derived from the same secret, bound to the job id. A bridge refuses a job that is
unsigned, signed with another secret, meant for another bridge, expired (jobs live at most
60 s) or already seen (replay). Each request of a bridge to the server carries an HMAC of
its bridge id, a microsecond timestamp and the SHA-256 of its body.

This module is the one copy of the protocol: the bridge uses it, and the prepaid_electricity
addon imports it (card_bridge.protocol) to sign jobs, seal PSCs and check requests and
results. It needs only the standard library and pycryptodome: no Odoo, no addon."""
import base64
import hashlib
import hmac
import json
import os
import time

from Crypto.Cipher import AES

MAX_JOB_LIFETIME = 60


class JobRefused(Exception):
    def __init__(self, code, message):
        self.code = code
        super().__init__(message)


def canonical(payload):
    return json.dumps(payload, sort_keys=True, separators=(',', ':'), ensure_ascii=True).encode()


def sign(secret_hex, payload):
    return hmac.new(bytes.fromhex(secret_hex), canonical(payload), hashlib.sha256).hexdigest()


def signed(secret_hex, payload):
    return {**payload, 'signature': sign(secret_hex, payload)}


def verify(secret_hex, message):
    """The payload of a signed message, or JobRefused."""
    if not isinstance(message, dict) or 'signature' not in message:
        raise JobRefused('unsigned', "unsigned message")
    payload = {k: v for k, v in message.items() if k != 'signature'}
    if not hmac.compare_digest(sign(secret_hex, payload), str(message['signature'])):
        raise JobRefused('bad_signature', "bad signature: not from the paired server")
    return payload


def _psc_key(secret_hex):
    return hashlib.sha256(b'prepaid-psc\x00' + bytes.fromhex(secret_hex)).digest()


def encrypt_psc(secret_hex, job_id, psc):
    nonce = os.urandom(12)
    cipher = AES.new(_psc_key(secret_hex), AES.MODE_GCM, nonce=nonce)
    cipher.update(str(job_id).encode())
    sealed, tag = cipher.encrypt_and_digest(psc)
    return base64.b64encode(nonce + sealed + tag).decode()


def decrypt_psc(secret_hex, job_id, token):
    raw = base64.b64decode(token)
    nonce, sealed, tag = raw[:12], raw[12:-16], raw[-16:]
    cipher = AES.new(_psc_key(secret_hex), AES.MODE_GCM, nonce=nonce)
    cipher.update(str(job_id).encode())
    try:
        return cipher.decrypt_and_verify(sealed, tag)
    except ValueError:
        raise JobRefused('bad_psc', "the PSC was not encrypted for this bridge") from None


def request_signature(bridge_id, secret_hex, timestamp, body):
    """HMAC-SHA256 of one request: bridge id, timestamp (microseconds) and body digest."""
    digest = hashlib.sha256(body).hexdigest()
    return hmac.new(bytes.fromhex(secret_hex), f'{bridge_id}\n{timestamp}\n{digest}'.encode(),
                    hashlib.sha256).hexdigest()


def request_signed_by(bridge_id, secret_hex, timestamp, body, signature):
    """Whether `signature` is the request signature under this bridge's secret (the
    server's check; freshness and replay are the server's own)."""
    return hmac.compare_digest(request_signature(bridge_id, secret_hex, timestamp, body), str(signature))


def request_headers(bridge_id, secret_hex, body):
    """Headers that authenticate one request of the bridge to the server."""
    timestamp = time.time_ns() // 1000
    return {'X-Bridge-Id': str(bridge_id), 'X-Bridge-Time': str(timestamp),
            'X-Bridge-Signature': request_signature(bridge_id, secret_hex, timestamp, body),
            'Content-Type': 'application/json'}


class JobGuard:
    """Checks a job before it touches a card: signature, bridge, expiry, replay."""

    def __init__(self, bridge_id, secret_hex, clock=time.time):
        self.bridge_id = int(bridge_id)
        self.secret = secret_hex
        self.clock = clock
        self.seen = {}   # nonce -> expiry

    def check(self, message):
        job = verify(self.secret, message)
        if int(job.get('bridge_id', -1)) != self.bridge_id:
            raise JobRefused('foreign', "the job is for another bridge")
        now = self.clock()
        expires = float(job.get('expires', 0))
        if expires < now or expires > now + MAX_JOB_LIFETIME + 5:
            raise JobRefused('expired', "the job has expired")
        for nonce, until in list(self.seen.items()):
            if until < now:
                del self.seen[nonce]
        if job.get('nonce') in self.seen:
            raise JobRefused('replayed', "the job was already run (replay)")
        self.seen[job['nonce']] = expires
        return job
