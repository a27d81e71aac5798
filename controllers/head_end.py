import logging

from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessDenied, UserError, ValidationError
from odoo.http import request

from .card_bridge import CardBridgeController

_logger = logging.getLogger(__name__)


class HeadEndController(http.Controller):
    """The server side of the meter head-end (head_end/server.py): pairing, the work, the
    reports. A head-end signs every request as a card bridge does, with the secret of its
    bridge record of service 'head_end'; errors are JSON with an HTTP 4xx status."""

    _bridge_requests = CardBridgeController()

    def _signed(self):
        requests = self._bridge_requests
        data, body = requests._body()
        try:
            # sudo: the request is authenticated by the head-end's signature, not by a user session
            bridge = request.env['prepaid.card.bridge'].sudo()._authenticate(
                request.httprequest.headers, data, service='head_end')
        except AccessDenied:
            return None, requests._reply({'error': "head-end not authenticated"}, 403)
        if not isinstance(body, dict):
            return None, requests._reply({'error': "expected a JSON object"}, 400)
        # no user session: the head-end acts as the system, in its own company
        return bridge.with_user(SUPERUSER_ID).with_company(bridge.company_id), body

    @http.route('/prepaid/head_end/pair', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def pair(self):
        requests = self._bridge_requests
        _data, body = requests._body()
        if not isinstance(body, dict):
            return requests._reply({'error': "expected a JSON object"}, 400)
        try:
            # sudo: pairing is authenticated by the one-time code
            result = request.env['prepaid.card.bridge'].sudo()._pair(body.get('code'), body.get('name'), 'head_end')
        except AccessDenied:
            return requests._reply({'error': "unknown or expired pairing code"}, 403)
        return requests._reply(result)

    @http.route('/prepaid/head_end/work', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def work(self):
        bridge, body = self._signed()
        if bridge is None:
            return body
        return self._bridge_requests._reply(bridge._head_end_work())

    @http.route('/prepaid/head_end/report', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def report(self):
        bridge, body = self._signed()
        if bridge is None:
            return body
        try:
            bridge._head_end_report(body)
        except (ValueError, TypeError, KeyError) as error:
            # a report that is not one: the head-end moves it aside, the others go on
            request.env.cr.rollback()
            return self._bridge_requests._reply({'error': f"bad report: {error}"}, 422)
        except (UserError, ValidationError) as error:
            request.env.cr.rollback()
            return self._bridge_requests._reply({'error': error.args[0]}, 409)
        return self._bridge_requests._reply({'ok': True})
