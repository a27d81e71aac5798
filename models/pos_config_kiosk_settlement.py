from odoo import fields, models


class PosConfig(models.Model):
    """A kiosk's terminal settlements (清机, prepaid.kiosk.settlement): started from the kiosk's
    form or the settlements' list; while one is started the kiosk takes no new purchase."""
    _inherit = 'pos.config'

    prepaid_kiosk_settlement_ids = fields.One2many('prepaid.kiosk.settlement', 'config_id',
                                                   string='Kiosk Settlements')

    def _kiosk_settlement(self):
        """The kiosk's started settlement, if any."""
        self.ensure_one()
        # sudo: the kiosk's page and every collector must see it, whoever started it
        return self.env['prepaid.kiosk.settlement'].sudo().search(
            [('config_id', '=', self.id), ('state', '=', 'started')], limit=1)

    def action_prepaid_kiosk_start_settlement(self):
        """Start the kiosk's settlement and open it for the collector to count the cassette."""
        self.ensure_one()
        return self.env['prepaid.kiosk.settlement'].create({'config_id': self.id})._get_records_action()
