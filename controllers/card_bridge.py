import time

from odoo import SUPERUSER_ID, api, http
from odoo.exceptions import UserError
from odoo.http import request

from . import bridge_requests

MAX_WAIT = 25


class CardBridgeController(http.Controller):
    """The server side of the card bridge protocol (requests signed and answered as
    bridge_requests says)."""

    @http.route('/prepaid/bridge/pair', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def pair(self):
        return bridge_requests.pair('card')

    @http.route('/prepaid/bridge/poll', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def poll(self):
        bridge, body = bridge_requests.signed_request('card')
        if bridge is None:
            return body
        if body.get('readers') is not None:
            bridge.readers = body['readers']
        wait = min(max(int(body.get('wait') or 0), 0), MAX_WAIT)
        if not wait:
            return bridge_requests.reply({'jobs': self._take_jobs(bridge)})
        deadline = time.monotonic() + wait
        # Long poll: sleep until a job for this bridge is committed (PostgreSQL NOTIFY, see
        # prepaid.card.job._wake_bridges) or the wait is over; each look is its own short
        # transaction, so no lock is held while waiting.
        with request.env['prepaid.card.job']._listen(bridge.id) as wait_for_job:
            while True:
                payloads = self._take_jobs(bridge)
                remaining = deadline - time.monotonic()
                if payloads or remaining <= 0:
                    return bridge_requests.reply({'jobs': payloads})
                wait_for_job(remaining)

    def _take_jobs(self, bridge):
        with request.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            jobs = env['prepaid.card.job']._take_pending(env['prepaid.card.bridge'].browse(bridge.id))
            return [job._signed_payload() for job in jobs]

    @http.route('/prepaid/bridge/result', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def result(self):
        bridge, body = bridge_requests.signed_request('card')
        if bridge is None:
            return body
        try:
            job = request.env['prepaid.card.job'].sudo()._apply_result(bridge, body)
        except UserError as error:
            return bridge_requests.reply({'error': error.args[0]}, 409)
        return bridge_requests.reply({'job_id': job.id, 'state': job.state})

    @http.route('/prepaid/bridge/event', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def event(self):
        bridge, body = bridge_requests.signed_request('card')
        if bridge is None:
            return body
        if body.get('event') not in ('inserted', 'removed'):
            return bridge_requests.reply({'error': "unknown event"}, 400)
        bridge.card_serial = body.get('serial') if body['event'] == 'inserted' else False
        return bridge_requests.reply({'ok': True})
