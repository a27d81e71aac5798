from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import consteq

# what the kiosk page may ask; each is a pos.config `_kiosk_` method (models/pos_config_kiosk.py)
KIOSK_CALLS = {
    'state': '_kiosk_state',
    'quote': '_kiosk_get_quote',
    'start': '_kiosk_start',
    'buy': '_kiosk_buy',
    'revend': '_kiosk_revend',
}


class KioskController(http.Controller):
    """The self-service kiosk page and its calls. The page is public (an unattended kiosk logs
    no one in): it is let in by the kiosk's access token, acts as the superuser in the kiosk's
    company, and only collects the customer's choices and shows the server's answers."""

    def _kiosk(self, config_id, access_token, lang=None):
        config = request.env['pos.config'].with_user(SUPERUSER_ID).browse(int(config_id)).exists()
        if not config or not config.prepaid_kiosk or not access_token \
                or not consteq(str(config.access_token or ''), str(access_token)):
            raise request.not_found()
        installed = dict(request.env['res.lang'].sudo().get_installed())
        lang = lang if lang in installed else (config.company_id.partner_id.lang or 'en_US')
        return config.with_company(config.company_id).with_context(lang=lang)

    @http.route('/prepaid/kiosk/<int:config_id>', type='http', auth='public', methods=['GET'], readonly=True)
    def kiosk_page(self, config_id, access_token=None, lang=None):
        config = self._kiosk(config_id, access_token, lang)
        installed = request.env['res.lang'].sudo().get_installed()
        return request.render('prepaid_electricity.kiosk_page', {
            'config': config, 'access_token': access_token,
            'kiosk_info': {'config_id': config.id, 'access_token': access_token, 'name': config.name,
                           'lang': config.env.lang, 'langs': [[code, name] for code, name in installed]},
        })

    @http.route('/prepaid/kiosk/<int:config_id>/call', type='jsonrpc', auth='public', methods=['POST'],
                readonly=False)
    def kiosk_call(self, config_id, access_token=None, action=None, lang=None, args=None):
        config = self._kiosk(config_id, access_token, lang)
        method = KIOSK_CALLS.get(action)
        if not method:
            return {'error': config.env._("Unknown kiosk request.")}
        try:
            with config.env.cr.savepoint():
                return {'result': getattr(config, method)(**(args or {}))}
        except UserError as refusal:
            return {'error': refusal.args[0]}
        except (TypeError, ValueError):
            return {'error': config.env._("The kiosk sent a request the server does not understand.")}
