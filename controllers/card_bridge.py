import json
import time

from odoo import SUPERUSER_ID, api, http
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request

MAX_WAIT = 25


class CardBridgeController(http.Controller):
    """The server side of the card bridge protocol. Bridges are not Odoo users: each request
    is authenticated by the bridge's HMAC signature (prepaid.card.bridge._authenticate), so
    the routes are auth='none' and act with sudo only after that check. Errors are JSON with
    an HTTP 4xx status."""

    def _reply(self, payload, status=200):
        return request.make_json_response(payload, status=status)

    def _body(self):
        data = request.httprequest.get_data()
        try:
            return data, json.loads(data or b'{}')
        except ValueError:
            return data, None

    def _signed_request(self):
        """(bridge, body) of a request signed by a paired bridge, or (None, error response)."""
        data, body = self._body()
        try:
            # sudo: the request is authenticated by the bridge signature, not by a user session
            bridge = request.env['prepaid.card.bridge'].sudo()._authenticate(request.httprequest.headers, data)
        except AccessDenied:
            return None, self._reply({'error': "bridge not authenticated"}, 403)
        if not isinstance(body, dict):
            return None, self._reply({'error': "expected a JSON object"}, 400)
        return bridge, body

    @http.route('/prepaid/bridge/pair', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def pair(self):
        _data, body = self._body()
        if not isinstance(body, dict):
            return self._reply({'error': "expected a JSON object"}, 400)
        try:
            # sudo: pairing is authenticated by the one-time code
            result = request.env['prepaid.card.bridge'].sudo()._pair(body.get('code'), body.get('name'))
        except AccessDenied:
            return self._reply({'error': "unknown or expired pairing code"}, 403)
        return self._reply(result)

    @http.route('/prepaid/bridge/poll', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def poll(self):
        bridge, body = self._signed_request()
        if bridge is None:
            return body
        if body.get('readers') is not None:
            bridge.readers = body['readers']
        wait = min(max(int(body.get('wait') or 0), 0), MAX_WAIT)
        if not wait:
            return self._reply({'jobs': self._take_jobs(bridge)})
        deadline = time.monotonic() + wait
        # Long poll: sleep until a job for this bridge is committed (PostgreSQL NOTIFY, see
        # prepaid.card.job._wake_bridges) or the wait is over; each look is its own short
        # transaction, so no lock is held while waiting.
        with request.env['prepaid.card.job']._listen(bridge.id) as wait_for_job:
            while True:
                payloads = self._take_jobs(bridge)
                remaining = deadline - time.monotonic()
                if payloads or remaining <= 0:
                    return self._reply({'jobs': payloads})
                wait_for_job(remaining)

    def _take_jobs(self, bridge):
        with request.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            jobs = env['prepaid.card.job']._take_pending(env['prepaid.card.bridge'].browse(bridge.id))
            return [job._signed_payload() for job in jobs]

    @http.route('/prepaid/bridge/result', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def result(self):
        bridge, body = self._signed_request()
        if bridge is None:
            return body
        try:
            job = request.env['prepaid.card.job'].sudo()._apply_result(bridge, body)
        except UserError as error:
            return self._reply({'error': error.args[0]}, 409)
        return self._reply({'job_id': job.id, 'state': job.state})

    @http.route('/prepaid/bridge/event', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def event(self):
        bridge, body = self._signed_request()
        if bridge is None:
            return body
        if body.get('event') not in ('inserted', 'removed'):
            return self._reply({'error': "unknown event"}, 400)
        bridge.card_serial = body.get('serial') if body['event'] == 'inserted' else False
        return self._reply({'ok': True})
