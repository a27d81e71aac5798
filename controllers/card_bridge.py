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
        if body.get('devices') is not None:
            bridge.devices = body['devices']
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
            # as the superuser (not a sudo'ed public env): a kiosk's result may make a POS order,
            # which needs a real user and company
            job = request.env['prepaid.card.job'].with_user(SUPERUSER_ID).with_company(
                bridge.company_id)._apply_result(bridge, body)
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
        serial = body.get('serial') if body['event'] == 'inserted' else False
        if serial != bridge.card_serial:     # a card in or out (the same card again is no news)
            bridge.write({'card_serial': serial, 'card_changed_at': bridge.env.cr.now()})
        return bridge_requests.reply({'ok': True})

    @http.route('/prepaid/bridge/cash', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def cash(self):
        """An event of the bill acceptor during a kiosk's cash job (escrow, stacked, fault, idle):
        the reply says whether to stack the note in escrow and whether to go on taking cash."""
        bridge, body = bridge_requests.signed_request('card')
        if bridge is None:
            return body
        job = request.env['prepaid.card.job'].sudo().search(
            [('id', '=', int(body.get('job_id') or 0)), ('bridge_id', '=', bridge.id), ('operation', '=', 'cash')])
        if not job or body.get('nonce') != job.nonce or not job.kiosk_transaction_id:
            return bridge_requests.reply({'error': "unknown cash job"}, 404)
        if body.get('event') not in ('escrow', 'stacked', 'fault', 'idle'):
            return bridge_requests.reply({'error': "unknown event"}, 400)
        transaction = job.kiosk_transaction_id.with_user(SUPERUSER_ID).with_company(bridge.company_id)
        return bridge_requests.reply(transaction._on_cash_event(job, body['event'], body))
