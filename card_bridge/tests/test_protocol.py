"""The bridge refuses every job it should: unsigned, foreign, expired, replayed, wrong secret."""
import pytest

from card_bridge import protocol
from card_bridge.protocol import JobGuard, JobRefused, decrypt_psc, encrypt_psc, signed
from card_bridge.runner import _changed_runs

SECRET = 'ab' * 32
OTHER = 'cd' * 32


def job(**kw):
    return {'job_id': 7, 'bridge_id': 3, 'operation': 'write', 'serial': '00', 'writes': {}, 'psc': '',
            'new_psc': '', 'expires': 1000.0 + 30, 'nonce': 'n1', **kw}


def guard():
    return JobGuard(3, SECRET, clock=lambda: 1000.0)


def refused(message, code):
    with pytest.raises(JobRefused) as info:
        guard_ = guard()
        guard_.check(message)
    assert info.value.code == code


def test_signed_job_accepted_once():
    g = guard()
    assert g.check(signed(SECRET, job()))['job_id'] == 7
    with pytest.raises(JobRefused) as info:
        g.check(signed(SECRET, job()))
    assert info.value.code == 'replayed'


def test_refusals():
    refused(job(), 'unsigned')
    refused(signed(OTHER, job()), 'bad_signature')
    tampered = signed(SECRET, job())
    tampered['writes'] = {'32': 'ff'}
    refused(tampered, 'bad_signature')
    refused(signed(SECRET, job(bridge_id=4)), 'foreign')
    refused(signed(SECRET, job(expires=999.0)), 'expired')
    refused(signed(SECRET, job(expires=1000.0 + 600)), 'expired')   # lives longer than allowed


def test_psc_sealed_for_this_bridge_and_job():
    token = encrypt_psc(SECRET, 7, b'\x12\x34\x56')
    assert decrypt_psc(SECRET, 7, token) == b'\x12\x34\x56'
    with pytest.raises(JobRefused):
        decrypt_psc(OTHER, 7, token)
    with pytest.raises(JobRefused):
        decrypt_psc(SECRET, 8, token)


def test_request_signature_binds_bridge_time_and_body():
    body = b'{"wait": 0}'
    headers = protocol.request_headers(3, SECRET, body)
    timestamp, signature = headers['X-Bridge-Time'], headers['X-Bridge-Signature']
    assert protocol.request_signed_by(3, SECRET, int(timestamp), body, signature)
    assert not protocol.request_signed_by(3, SECRET, int(timestamp), b'{"wait": 1}', signature)
    assert not protocol.request_signed_by(4, SECRET, int(timestamp), body, signature)
    assert not protocol.request_signed_by(3, SECRET, int(timestamp) + 1, body, signature)
    assert not protocol.request_signed_by(3, OTHER, int(timestamp), body, signature)


def test_only_changed_bytes_are_written():
    current = bytes(range(256))
    data = bytes([32, 33, 0, 0, 36, 0])
    assert _changed_runs(current, 32, data) == [(34, b'\x00\x00'), (37, b'\x00')]
