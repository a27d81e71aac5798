"""One bridge protocol: the server signs jobs, seals PSCs and checks requests and results with
card_bridge.protocol, the very module the bridge runs, so whatever the server sends verifies
on the bridge and a single changed byte is refused on either side."""
import base64
import json
from unittest.mock import patch

from odoo.exceptions import AccessDenied, UserError
from odoo.tests import tagged

from card_bridge import protocol
from card_bridge.drivers.virtual_chip import VirtualChipDriver
from card_bridge.protocol import JobGuard, JobRefused, decrypt_psc, request_headers, signed
from card_bridge.runner import run_job
from card_bridge.sle4442 import VirtualSle4442
from head_end import auth as head_end_auth

from .common import PrepaidCommon, use_card_keys

ChipDriver = VirtualChipDriver   # the bridge's driver interface over a virtual SLE4442 (no reader needed)


def flip(text, index=0):
    """`text` with one character changed (a hex digit or a base64 character)."""
    return text[:index] + ('1' if text[index] != '1' else '2') + text[index + 1:]


@tagged('post_install', '-at_install')
class TestBridgeProtocol(PrepaidCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        use_card_keys(cls, {'654321': {'1': '00112233445566778899aabbccddeeff'}})
        cls.bridge = cls.env['prepaid.card.bridge'].create({'name': 'Till 1'})
        cls.secret = cls.bridge.sudo()._pair(cls.bridge.pairing_code)['secret']

    def setUp(self):
        super().setUp()
        self.chip = VirtualSle4442(serial=bytes.fromhex('0a0b0c0d0e0f1011'))
        self.account = self.open_account(meter_number='000012345678', quantity='61')
        self.card_job = self.account._issue_card(self.chip.serial.hex())
        self.vend = self.account.vend_ids

    def guard(self):
        return JobGuard(self.bridge.id, self.secret)

    def queued_write(self):
        job = self.env['prepaid.card.job']._create_for(self.bridge, 'write', self.card_job, self.vend)
        self.env.flush_all()
        return job

    def refused(self, message, code):
        with self.assertRaises(JobRefused) as info:
            self.guard().check(message)
        self.assertEqual(info.exception.code, code)

    def test_a_server_job_runs_on_the_bridge_and_the_vend_is_written(self):
        """Server job -> bridge guard -> bridge runner on the card -> signed result -> server."""
        job = self.queued_write()
        self.assertEqual(job._take_pending(self.bridge), job)
        checked = self.guard().check(job._signed_payload())
        self.assertEqual(checked['job_id'], job.id)
        result = run_job(checked, ChipDriver(self.chip), self.secret)
        self.assertTrue(result['ok'], result['error'])
        self.assertEqual(self.chip.psc, self.card_job['new_psc'])       # the sealed new PSC, opened by the bridge
        self.env['prepaid.card.job']._apply_result(self.bridge, signed(self.secret, result))
        self.env.flush_all()
        self.assertEqual(job.state, 'done', job.error)
        self.assertEqual(self.vend.state, 'written')

    def test_one_changed_byte_of_a_server_job_is_refused_by_the_bridge(self):
        job = self.queued_write()
        genuine = job._signed_payload()
        self.assertEqual(decrypt_psc(self.secret, job.id, genuine['psc']), self.card_job['present_psc'])
        address, data = next(iter(genuine['writes'].items()))
        for tampered in (
            {**genuine, 'writes': {**genuine['writes'], address: flip(data)}},
            {**genuine, 'serial': flip(genuine['serial'])},
            {**genuine, 'psc': flip(genuine['psc'])},
            {**genuine, 'job_id': job.id + 1},
            {**genuine, 'expires': genuine['expires'] - 1},
            {**genuine, 'signature': flip(genuine['signature'], 5)},
        ):
            self.refused(tampered, 'bad_signature')
        self.refused({k: v for k, v in genuine.items() if k != 'signature'}, 'unsigned')
        self.assertEqual(self.guard().check(genuine)['job_id'], job.id)   # the genuine one passes
        # a sealed PSC opens only for its job, and not with one byte changed
        raw = bytearray(base64.b64decode(genuine['psc']))
        raw[12] ^= 1
        for secret, job_id, token in ((self.secret, job.id + 1, genuine['psc']),
                                      (self.secret, job.id, base64.b64encode(bytes(raw)).decode())):
            with self.assertRaises(JobRefused) as info:
                decrypt_psc(secret, job_id, token)
            self.assertEqual(info.exception.code, 'bad_psc')

    def test_one_changed_byte_of_a_bridge_request_or_result_is_refused_by_the_server(self):
        Bridge = self.env['prepaid.card.bridge'].sudo()
        body = json.dumps({'wait': 0, 'readers': []}).encode()
        headers = request_headers(self.bridge.id, self.secret, body)
        with self.assertRaises(AccessDenied):
            Bridge._authenticate(headers, body.replace(b'0', b'1'))
        with self.assertRaises(AccessDenied):
            Bridge._authenticate({**headers, 'X-Bridge-Signature': flip(headers['X-Bridge-Signature'])}, body)
        self.assertEqual(Bridge._authenticate(headers, body), self.bridge)   # fresh: the body was refused
        read = self.env['prepaid.card.job']._create_for(self.bridge, 'read')
        read._take_pending(self.bridge)
        result = signed(self.secret, {'job_id': read.id, 'nonce': read.nonce, 'ok': True,
                                      'raw': self.chip.read(0, 256).hex(), 'error': ''})
        for tampered in ({**result, 'raw': flip(result['raw'])}, {**result, 'ok': False},
                         {**result, 'signature': flip(result['signature'])},
                         {k: v for k, v in result.items() if k != 'signature'}):
            with self.assertRaisesRegex(UserError, 'not signed by this bridge'):
                self.env['prepaid.card.job']._apply_result(self.bridge, tampered)
        self.env['prepaid.card.job']._apply_result(self.bridge, result)
        self.env.flush_all()
        self.assertEqual((read.state, read.raw), ('done', self.chip.read(0, 256).hex()))

    def test_the_server_follows_the_bridge_protocol_module(self):
        """There is one protocol: were card_bridge.protocol's canonical JSON, PSC key or
        request MAC to change, the server's jobs and checks change with it."""
        def indented(payload):
            return json.dumps(payload, sort_keys=True, indent=1).encode()

        with patch.object(protocol, 'canonical', indented), \
                patch.object(protocol, '_psc_key', lambda secret: bytes(32)), \
                patch.object(protocol, 'request_signature', lambda *args: 'same-on-both-sides'):
            job = self.queued_write()
            checked = self.guard().check(job._signed_payload())
            self.assertEqual(decrypt_psc(self.secret, job.id, checked['psc']), self.card_job['present_psc'])
            body = b'{}'
            self.assertEqual(self.env['prepaid.card.bridge'].sudo()._authenticate(
                request_headers(self.bridge.id, self.secret, body), body), self.bridge)
            self.assertEqual(request_headers(self.bridge.id, self.secret, body)['X-Bridge-Signature'],
                             'same-on-both-sides')
        # and back to the real protocol, a job sealed under the patched key no longer opens
        with self.assertRaises(JobRefused):
            decrypt_psc(self.secret, job.id, checked['psc'])


class TestHeadEndSignature(PrepaidCommon):
    """The head-end carries its own copy of the request signature (it depends on nothing but
    the standard library): it must sign exactly as card_bridge.protocol, which the server checks."""

    def test_the_head_end_signs_requests_as_the_card_bridge_does(self):
        secret = '5a' * 32
        for bridge_id, timestamp, body in ((7, 1700000000000000, b'{}'), (12, 1700000000123456, b'{"daily": []}')):
            self.assertEqual(head_end_auth.request_signature(bridge_id, secret, timestamp, body),
                             protocol.request_signature(bridge_id, secret, timestamp, body))
        headers = head_end_auth.request_headers(3, secret, b'{}')
        self.assertTrue(protocol.request_signed_by(3, secret, int(headers['X-Bridge-Time']), b'{}',
                                                   headers['X-Bridge-Signature']))
