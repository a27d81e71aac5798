from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import card_crypto, card_format
from ..tools import ADMIN_GROUP, refusal_error, to_decimal


class PrepaidCard(models.Model):
    """One physical IC card (by its chip serial) and what the system issued on it.

    A customer has one current card; a reissue replaces it and from then on the old card is
    refused by the system. Every byte written to a card is computed here as a card job
    ({serial, PSC to present, writes, new PSC}) that a card bridge carries out."""
    _name = 'prepaid.card'
    _description = 'IC Purchase Card'
    _rec_name = 'serial'
    _order = 'id desc'
    _check_company_auto = True

    serial = fields.Char(required=True, readonly=True, index=True, help="Chip serial, hexadecimal.")
    card_type = fields.Selection(
        [('purchase', 'Purchase Card'), ('clear', 'Clear / Reset'), ('check', 'Check / Test'),
         ('preset', 'Preset'), ('parameter', 'Parameter')], default='purchase', required=True, readonly=True)
    account_id = fields.Many2one('prepaid.account', readonly=True, index='btree_not_null', check_company=True)
    station_id = fields.Many2one('prepaid.station', required=True, readonly=True, check_company=True)
    company_id = fields.Many2one('res.company', required=True, readonly=True, default=lambda self: self.env.company)
    state = fields.Selection(
        [('issued', 'In Use'), ('replaced', 'Replaced by a Reissue'), ('cleared', 'Cleared')],
        default='issued', required=True, readonly=True, index=True)
    key_version = fields.Integer(readonly=True, help="Key version of the card's MAC and PSC.")
    is_psc_set = fields.Boolean(
        readonly=True, help="The card's own PSC replaced the transport PSC (known from a confirmed write).")
    issue_date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    previous_card_id = fields.Many2one('prepaid.card', readonly=True, string='Replaces')
    replaced_by_id = fields.Many2one('prepaid.card', readonly=True)
    writeback_ids = fields.One2many('prepaid.card.writeback', 'card_id', string='Write-backs')

    _serial_issued_uniq = models.UniqueIndex(
        '(company_id, serial) WHERE state = \'issued\'', "This card is already in use.")

    # ------------------------------------------------------------------ reading
    def _own_stations(self):
        """The stations whose cards this company's system reads (record rules apply)."""
        return self.env['prepaid.station'].search([])

    @api.model
    def _decode(self, raw, station=None, any_station=False):
        """Decode raw card bytes into (decoded card, card record, account) or raise a
        translated UserError for every refusal: blank, foreign, unknown version or key,
        bad MAC, torn data, unknown customer, replaced card, deactivated or closed customer."""
        codes = set((station or self._own_stations()).mapped('code'))
        keyring = self.env['prepaid.card.keyring']._key_lookup()
        try:
            decoded = card_format.decode(raw, keyring, None)
        except card_format.CardRefused as refusal:
            raise refusal_error(self.env, refusal) from None
        if not any_station and decoded.image.station_code not in codes:
            raise UserError(self.env._("This card belongs to another station (%(station)s).",
                                       station=decoded.image.station_code))
        serial = decoded.serial.hex()
        card = self.search([('serial', '=', serial), ('card_type', '=', decoded.image.card_type)],
                           order='id desc', limit=1)
        if decoded.image.card_type != 'purchase':
            return decoded, card, self.env['prepaid.account']
        account = self.env['prepaid.account'].search([('number', '=', decoded.image.customer_number)], limit=1)
        if not account:
            raise UserError(self.env._("No customer has the number %(number)s on this card.",
                                       number=decoded.image.customer_number))
        if card.state == 'replaced' or (account.card_id and account.card_id.serial != serial):
            raise UserError(self.env._(
                "This card has been replaced: customer %(number)s has a newer card. Keep this one.",
                number=account.number))
        if account.state != 'active':
            raise UserError(self.env._("Customer %(number)s is %(state)s: the card cannot be used.",
                                       number=account.number,
                                       state=dict(account._fields['state']._description_selection(self.env))[account.state]))
        return decoded, card, account

    @api.model
    def _read_card(self, raw):
        """Read a card as the operator does: decode it, keep the meter's write-back as
        history, bring the account up to date and return what the screen shows."""
        decoded, card, account = self._decode(raw)
        if account and decoded.write_back:
            self.env['prepaid.card.writeback']._record(card, account, decoded.write_back)
            if decoded.image.sequence == account.purchase_sequence and decoded.image.meter_number.lstrip('0') == \
                    account.meter_id.number.lstrip('0'):
                account._apply_write_back(decoded.write_back.remaining, decoded.write_back.over_zero,
                                          is_credit_consumed=not decoded.is_credit_valid)
        return {'decoded': decoded, 'card': card, 'account': account}

    # ------------------------------------------------------------------ writing
    def _psc_to_present(self, raw_serial):
        """The PSC the card holds now: transport on a blank card, else derived from the key
        version it was last written with."""
        if not self or self.state == 'cleared' or not self.is_psc_set:
            return card_crypto.TRANSPORT_PSC
        master = self.env['prepaid.card.keyring']._master_key(self.station_id.code, self.key_version)
        return card_crypto.derive_psc(master, raw_serial)

    @api.model
    def _station_master_key(self, station):
        """The master key cards of `station` are written with now, or a UserError."""
        master = self.env['prepaid.card.keyring']._master_key(station.code, station.key_version)
        if master is None:
            raise UserError(self.env._("Station %(station)s has no card key for version %(version)s: an "
                                       "administrator must create it.", station=station.code,
                                       version=station.key_version))
        return master

    @api.model
    def _job(self, station, serial_hex, image, present_psc, credit_valid=True):
        """A card job: what a bridge must do to put `image` on the card `serial_hex`.
        Written with the station's current key version (old cards are re-keyed)."""
        serial = bytes.fromhex(serial_hex)
        master = self._station_master_key(station)
        card_key = card_crypto.diversify(master, station.code, serial)
        writes = card_format.encode(image, serial, card_key, credit_valid=credit_valid)
        return {
            'serial': serial_hex,
            'present_psc': present_psc,
            'writes': writes,
            'new_psc': card_crypto.derive_psc(master, serial),
        }

    @api.model
    def _clear_job(self, raw, master_clear=False):
        """Clear a card (own station) or master-clear any card (administrators): the user
        area is erased and the transport PSC restored."""
        if master_clear and not self.env.user.has_group(ADMIN_GROUP):
            raise UserError(self.env._("Only an administrator may master-clear a card."))
        key_lookup = self.env['prepaid.card.keyring']._key_lookup()
        try:
            decoded = card_format.decode(raw, key_lookup, None)
        except card_format.CardRefused as refusal:
            if not master_clear or refusal.code in ('blank', 'truncated'):
                raise refusal_error(self.env, refusal) from None
            decoded = None
        if decoded and not master_clear and decoded.image.station_code not in self._own_stations().mapped('code'):
            raise UserError(self.env._("Only cards of this station can be cleared; use a master clear."))
        serial = card_format.serial_of(raw)
        present = card_crypto.TRANSPORT_PSC
        if decoded:
            present = card_crypto.derive_psc(key_lookup(decoded.image.station_code, decoded.image.key_version),
                                             serial)
        cards = self.search([('serial', '=', serial.hex()), ('state', '=', 'issued')])
        cards.write({'state': 'cleared'})
        return {'serial': serial.hex(), 'present_psc': present,
                'writes': card_format.clear_writes(),
                'new_psc': card_crypto.TRANSPORT_PSC}

    @api.model
    def _new_card_for(self, account, serial_hex, previous=None):
        """A new card in use for `account` (issue or reissue); refused when the serial is
        already a card in use."""
        if self.search_count([('serial', '=', serial_hex), ('state', '=', 'issued')]):
            raise UserError(self.env._("Card %(serial)s is already in use: take a blank card.", serial=serial_hex))
        return self.create({'serial': serial_hex, 'account_id': account.id, 'station_id': account.station_id.id,
                            'company_id': account.company_id.id, 'key_version': account.station_id.key_version,
                            'previous_card_id': previous.id if previous else False})

    @api.model
    def _special_job(self, station, serial_hex, card_type, values=None):
        """A special card (clear/reset, check/test, preset, parameter) on a blank card."""
        values = values or {}
        image = card_format.CardImage(
            card_type=card_type, key_version=station.key_version, station_code=station.code,
            customer_number='0', meter_number=values.get('meter_number', '0'),
            credit=to_decimal(values.get('preset', 0)) if card_type == 'preset' else to_decimal(0),
            alarm=to_decimal(values.get('alarm', 0)), pretrip=to_decimal(values.get('pretrip', 0)),
            hoarding=to_decimal(values.get('hoarding', 0)), price=to_decimal(values.get('price', 0), 4),
            ct_ratio=values.get('ct_ratio', 1), pt_ratio=values.get('pt_ratio', 1),
            issued_at=card_format.issued_now(), preset=to_decimal(values.get('preset', 0)))
        job = self._job(station, serial_hex, image, card_crypto.TRANSPORT_PSC, credit_valid=False)
        self.create({'serial': serial_hex, 'card_type': card_type, 'station_id': station.id,
                     'company_id': station.company_id.id, 'key_version': station.key_version})
        return job
