from odoo import api, models

from .pos_config_kiosk import KIOSK_PAYMENT_TERMINAL


class PosPaymentMethod(models.Model):
    """The kiosk's bank card terminal is a payment terminal method: the card bridge of the kiosk
    PC drives the terminal, on jobs the server signed."""
    _inherit = 'pos.payment.method'

    @api.model
    def _get_payment_terminal_selection(self):
        return super()._get_payment_terminal_selection() + [
            (KIOSK_PAYMENT_TERMINAL, self.env._("Kiosk Terminal (card bridge)"))]
