import secrets
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, UserError

from card_bridge import protocol

PAIRING_MINUTES = 10
MAX_CLOCK_SKEW_US = 60 * 1_000_000


class PrepaidCardBridge(models.Model):
    """A card bridge: the small service on a POS workstation that runs card jobs on its
    reader. Paired once with an 8-digit code (valid 10 minutes) for a 256-bit secret that
    signs everything between the server and the bridge. Revoking it stops it for good."""
    _name = 'prepaid.card.bridge'
    _description = 'Card Bridge'
    _order = 'name'

    name = fields.Char(required=True, default=lambda self: self.env._("New card bridge"))
    service = fields.Selection(
        [('card', 'Card Bridge'), ('head_end', 'Meter Head-end')], default='card', required=True,
        help="Card bridge: runs card jobs on a workstation's reader. Meter head-end: reads remote meters "
             "and carries out relay commands through concentrators.")
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    state = fields.Selection([('pairing', 'Waiting for Pairing'), ('paired', 'Paired'), ('revoked', 'Revoked')],
                             default='pairing', required=True, readonly=True)
    pairing_code = fields.Char(readonly=True, copy=False,
                               help="Type it on the workstation: card-bridge pair <odoo-url> <code>")
    pairing_expires = fields.Datetime(readonly=True, copy=False)
    # The secret is needed to sign jobs; it is never shown nor sent after pairing.
    secret = fields.Char(readonly=True, copy=False, groups='base.group_system')
    # microseconds of the last accepted request (a double holds them exactly): replay guard
    last_request_us = fields.Float(readonly=True, copy=False, groups='base.group_system')
    last_contact = fields.Datetime(readonly=True)
    readers = fields.Json(readonly=True)
    readers_text = fields.Text(string='Readers', compute='_compute_readers_text')
    card_serial = fields.Char(string='Card in Reader', readonly=True)
    card_changed_at = fields.Datetime(readonly=True, help="When a card last went into or out of the reader.")
    devices = fields.Json(readonly=True, help="The state of the kiosk devices, as the bridge last reported it.")
    job_ids = fields.One2many('prepaid.card.job', 'bridge_id')

    _secret_uniq = models.Constraint('unique(secret)', "Bridge secrets are unique.")

    @api.depends('readers')
    def _compute_readers_text(self):
        # the bridge reports [{'name': reader, 'card': serial or None}, ...]
        for bridge in self:
            lines = [self.env._("%(reader)s: card %(card)s", reader=reader.get('name') or '?', card=reader['card'])
                     if reader.get('card') else self.env._("%(reader)s: no card", reader=reader.get('name') or '?')
                     for reader in bridge.readers or [] if isinstance(reader, dict)]
            bridge.readers_text = '\n'.join(lines) or self.env._("No reader reported yet.")

    @api.model_create_multi
    def create(self, vals_list):
        bridges = super().create(vals_list)
        bridges.action_new_pairing_code()
        return bridges

    def action_new_pairing_code(self):
        for bridge in self:
            if bridge.state == 'revoked':
                raise UserError(self.env._("A revoked bridge cannot be paired again: create a new one."))
            bridge.write({
                'pairing_code': f'{secrets.randbelow(10 ** 8):08d}',
                'pairing_expires': fields.Datetime.now() + timedelta(minutes=PAIRING_MINUTES),
            })

    def action_revoke(self):
        # sudo: clearing the secret field, readable only by system administrators
        self.sudo().write({'state': 'revoked', 'secret': False, 'pairing_code': False})
        self.env['prepaid.card.job'].search([('bridge_id', 'in', self.ids), ('state', 'in', ('pending', 'sent'))]) \
            .write({'state': 'failed', 'error': self.env._("The bridge was revoked.")})

    # ------------------------------------------------------------------ protocol (sudo callers)
    @api.model
    def _pair(self, code, name=None, service='card'):  # name: the workstation's, logged only
        """Exchange a pairing code of a bridge of `service` for the bridge id and a new secret."""
        if not (isinstance(code, str) and code.isdigit() and len(code) == 8):
            raise AccessDenied()
        bridge = self.search([('state', '=', 'pairing'), ('pairing_code', '=', code), ('service', '=', service),
                              ('pairing_expires', '>=', fields.Datetime.now())], limit=1)
        if not bridge:
            raise AccessDenied()
        secret = secrets.token_hex(32)
        bridge.write({'state': 'paired', 'secret': secret, 'pairing_code': False, 'pairing_expires': False,
                      'last_contact': fields.Datetime.now()})
        return {'bridge_id': bridge.id, 'secret': secret}

    @api.model
    def _authenticate(self, headers, body, service='card'):
        """The bridge of `service` that signed this request, or AccessDenied (unknown, revoked,
        another service, wrong secret, stale or replayed timestamp)."""
        try:
            bridge = self.browse(int(headers.get('X-Bridge-Id', '')))
            timestamp = int(headers.get('X-Bridge-Time', ''))
        except ValueError:
            raise AccessDenied() from None
        if not bridge.exists() or bridge.state != 'paired' or not bridge.secret or bridge.service != service:
            raise AccessDenied()
        if not protocol.request_signed_by(bridge.id, bridge.secret, timestamp, body,
                                          headers.get('X-Bridge-Signature', '')):
            raise AccessDenied()
        now_us = int(time.time() * 1_000_000)
        if abs(now_us - timestamp) > MAX_CLOCK_SKEW_US or timestamp <= bridge.last_request_us:
            raise AccessDenied()
        bridge.write({'last_request_us': timestamp, 'last_contact': fields.Datetime.now()})
        return bridge
