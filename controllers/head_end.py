from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from . import bridge_requests


class HeadEndController(http.Controller):
    """The server side of the meter head-end (head_end/server.py): pairing, the work, the
    reports. A head-end signs every request as a card bridge does, with the secret of its
    bridge record of service 'head_end' (bridge_requests)."""

    def _signed(self):
        bridge, body = bridge_requests.signed_request('head_end')
        if bridge is None:
            return None, body
        # no user session: the head-end acts as the system, in its own company
        return bridge.with_user(SUPERUSER_ID).with_company(bridge.company_id), body

    @http.route('/prepaid/head_end/pair', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def pair(self):
        return bridge_requests.pair('head_end')

    @http.route('/prepaid/head_end/work', type='http', auth='none', methods=['POST'], csrf=False, readonly=False)
    def work(self):
        bridge, body = self._signed()
        if bridge is None:
            return body
        return bridge_requests.reply(bridge._head_end_work())

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
            return bridge_requests.reply({'error': f"bad report: {error}"}, 422)
        except (UserError, ValidationError) as error:
            request.env.cr.rollback()
            return bridge_requests.reply({'error': error.args[0]}, 409)
        return bridge_requests.reply({'ok': True})
