from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare

from ..engine.remote_billing import Registers
from ..tools import ENERGY_DIGITS, MANAGER_GROUP, check_levels, to_decimal
from .prepaid_meter_reading import REGISTER_FIELDS


class PrepaidMeter(models.Model):
    """A prepaid meter (电表) bound to at most one customer account at a time."""
    _name = 'prepaid.meter'
    _description = 'Prepaid Meter'
    _inherit = ['mail.thread']
    _rec_name = 'number'
    _rec_names_search = ['number']
    _order = 'number'

    number = fields.Char(string='Meter Number', size=12, required=True, tracking=True, index='trigram')
    meter_type_id = fields.Many2one('prepaid.meter.type', required=True, tracking=True)
    credit_unit = fields.Selection(related='meter_type_id.credit_unit')
    ct_ratio = fields.Integer(string='CT Ratio', default=1, required=True, tracking=True)
    pt_ratio = fields.Integer(string='PT Ratio', default=1, required=True, tracking=True)
    multiplier = fields.Integer(compute='_compute_multiplier', store=True,
                                help="CT ratio × PT ratio, e.g. PT 30 × CT 10 = 300.")
    side = fields.Selection(
        [('none', 'No transformer'), ('primary', 'Primary side'), ('secondary', 'Secondary side')],
        string='Metering Side', default='none', required=True, tracking=True,
        help="Primary side: the price written to the meter is price × multiplier. "
             "Secondary side: the credit written is credit ÷ multiplier, price unchanged.")
    constant = fields.Integer(string='Meter Constant (imp/kWh)', default=1600)
    start_reading = fields.Float(
        string='Start Reading (kWh)', digits=ENERGY_DIGITS, tracking=True,
        help="The register value when the meter was attached (示值起始表码): a remote meter's billing "
             "starts after it.")
    alarm_energy = fields.Float(string='Alarm Level', digits=ENERGY_DIGITS, default=20.0, tracking=True)
    pretrip_energy = fields.Float(string='Pre-trip Level', digits=ENERGY_DIGITS, default=10.0, tracking=True)
    hoarding_energy = fields.Float(string='Hoarding Limit', digits=ENERGY_DIGITS, default=9999.0, tracking=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account', readonly=True,
                                 index='btree_not_null')
    state = fields.Selection(
        [('available', 'Available'), ('installed', 'Installed'), ('replaced', 'Replaced')],
        default='available', required=True, readonly=True, tracking=True)
    area_id = fields.Many2one('prepaid.area', related='account_id.area_id', store=True)
    room = fields.Char(help="The room or apartment the meter serves (房间).")
    delivery = fields.Selection(related='meter_type_id.delivery', store=True, string='Credit Delivery')
    # --- remote meters: where the head-end finds them
    concentrator_id = fields.Many2one('prepaid.concentrator', tracking=True, index='btree_not_null',
                                      check_company=True)
    rs485_port = fields.Integer(string='Concentrator Port', default=2,
                                help="The concentrator's RS-485 port the meter is wired to (1..31).")
    baud = fields.Selection([('1200', '1200'), ('2400', '2400'), ('4800', '4800'), ('9600', '9600')],
                            string='Baud Rate', default='2400')
    parity = fields.Selection([('even', 'Even'), ('odd', 'Odd'), ('none', 'None')], default='even')
    # --- remote meters: what the head-end last reported
    is_online = fields.Boolean(string='Online', readonly=True)
    online_changed_at = fields.Datetime(string='Online State Since', readonly=True)
    relay_state = fields.Selection(
        [('closed', 'Closed (power on)'), ('open', 'Tripped (power off)'), ('close_allowed', 'Close Allowed')],
        string='Relay', readonly=True, tracking=True,
        help="As the meter last reported it (status word 3). Close allowed: the tenant's button closes it.")
    relay_read_at = fields.Datetime(readonly=True)
    keep_power = fields.Boolean(readonly=True, tracking=True,
                                help="保电: the meter refuses to trip. Set and cleared by command.")
    auto_trip = fields.Boolean(string='Automatic Trip', default=True, tracking=True,
                               help="自动跳闸: trip below the overdraft limit and close after a top-up, automatically.")
    tripped_by_strategy = fields.Boolean(
        readonly=True, help="The relay was opened by the automatic strategy: a top-up closes it again.")
    # The registers of the last reading taken in (billed, or the base while the meter had no
    # account): the next day's bill starts from them, so billing never reads the history.
    billed_day = fields.Date(string='Read Up To', readonly=True)
    start_reading_passed = fields.Boolean(
        readonly=True, help="A reading at or above the start reading was taken in: the start reading no longer "
                            "limits billing (a meter reset or rollover later starts from its new registers).")
    billed_at = fields.Datetime(string='Registers Taken At', readonly=True,
                                help="Freeze or read time of the registers the next bill starts from.")
    billed_total = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    billed_sharp = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    billed_peak = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    billed_flat = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    billed_valley = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    # The last current registers read (move-out, Read Now).
    current_total = fields.Float(string='Current Total (kWh)', digits=ENERGY_DIGITS, readonly=True)
    current_sharp = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    current_peak = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    current_flat = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    current_valley = fields.Float(digits=ENERGY_DIGITS, readonly=True)
    current_read_at = fields.Datetime(readonly=True)
    # What the next work asks of the head-end besides the daily reads.
    wants_current_read = fields.Boolean(readonly=True)
    wants_relay_read = fields.Boolean(readonly=True)
    daily_asked_at = fields.Datetime(readonly=True)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)

    _number_company_uniq = models.Constraint(
        'unique(number, company_id)', "This meter number is already registered.")

    _concentrator_port_idx = models.Index('(concentrator_id, rs485_port)')

    def _auto_init(self):
        result = super()._auto_init()
        # A remote meter's row is rewritten every day (the registers taken in): room left on each
        # page keeps those updates HOT, away from the indexes (the number's GIN index among them).
        self.env.cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 80)", SQL.identifier(self._table)))
        return result

    @api.depends('ct_ratio', 'pt_ratio')
    def _compute_multiplier(self):
        for meter in self:
            meter.multiplier = meter.ct_ratio * meter.pt_ratio

    @api.constrains('number')
    def _check_number(self):
        for meter in self:
            if not (meter.number and meter.number.isdigit() and len(meter.number) <= 12):
                raise ValidationError(self.env._("A meter number has 1 to 12 digits."))

    @api.constrains('number', 'meter_type_id', 'concentrator_id', 'rs485_port', 'start_reading')
    def _check_remote(self):
        for meter in self.filtered(lambda m: m.delivery == 'remote'):
            if len(meter.number) != 12:
                raise ValidationError(self.env._(
                    "A remote meter's number is its 12-digit DL/T 645 address (e.g. 000000366566)."))
            if not 1 <= meter.rs485_port <= 31:
                raise ValidationError(self.env._("A concentrator port is 1 to 31."))
            if not 0 <= meter.start_reading < 1000000:
                raise ValidationError(self.env._("A start reading is 0 to 999999.99 kWh."))

    @api.constrains('ct_ratio', 'pt_ratio', 'side')
    def _check_ratios(self):
        for meter in self:
            if meter.ct_ratio < 1 or meter.pt_ratio < 1:
                raise ValidationError(self.env._("CT and PT ratios must be at least 1."))
            if meter.side == 'none' and meter.multiplier != 1:
                raise ValidationError(self.env._(
                    "A meter with a CT/PT multiplier must say whether it meters the primary or "
                    "the secondary side."))

    @api.constrains('alarm_energy', 'pretrip_energy', 'hoarding_energy')
    def _check_levels(self):
        check_levels(self, self.env._("Levels must satisfy 0 ≤ pre-trip ≤ alarm ≤ hoarding limit."))

    # ------------------------------------------------------------------ remote meters
    @api.model
    def _remote_by_number(self, numbers, company):
        """{number: remote meter} of `company` for these 12-digit numbers, looked up through the
        unique (number, company) index. The planner may otherwise pick the number's trigram index
        (GIN), which takes seconds for a thousand numbers once daily billing has filled its
        pending list; a GIN index is only ever read by a bitmap scan, so none is allowed here."""
        self.flush_model(['number', 'company_id', 'delivery'])
        self.env.cr.execute(SQL("SET LOCAL enable_bitmapscan = off"))
        rows = self.env.execute_query(SQL(
            "SELECT m.number, m.id FROM unnest(%s::varchar[]) AS wanted(number)"
            " JOIN prepaid_meter m ON m.number = wanted.number AND m.company_id = %s WHERE m.delivery = 'remote'",
            list(numbers), company.id))
        self.env.cr.execute(SQL("RESET enable_bitmapscan"))
        meters = self.browse([meter_id for _number, meter_id in rows])   # read together when read
        return {number: meters.browse(meter_id).with_prefetch(meters._prefetch_ids) for number, meter_id in rows}

    def _billed_registers(self):
        """The registers the next bill starts from, or None before the meter's first reading."""
        self.ensure_one()
        if not self.billed_at:
            return None
        return Registers(**{name: to_decimal(self[f'billed_{name}']) for name in REGISTER_FIELDS})

    def write(self, vals):
        # another start reading applies anew until billing passes it; the same one written
        # again (a wizard saving what it showed) leaves the meter where it stands
        moved = 'start_reading' in vals and self.filtered(lambda meter: float_compare(
            meter.start_reading, vals['start_reading'] or 0.0, precision_digits=ENERGY_DIGITS[1]))
        result = super().write(vals)
        if moved:
            moved.start_reading_passed = False
        return result

    def _current_registers(self):
        self.ensure_one()
        return Registers(**{name: to_decimal(self[f'current_{name}']) for name in REGISTER_FIELDS})

    def _take_registers(self, registers, at, day):
        """Make `registers` (read at `at`, closing `day`) the start of the next bill."""
        self.ensure_one()
        self.with_context(tracking_disable=True).write({
            'billed_at': at, 'billed_day': day,
            'start_reading_passed': self.start_reading_passed or registers.total >= to_decimal(self.start_reading),
            **{f'billed_{name}': float(getattr(registers, name)) for name in REGISTER_FIELDS}})

    def _check_remote_meter(self):
        for meter in self:
            if meter.delivery != 'remote':
                raise UserError(self.env._("Meter %(meter)s is not a remote meter.", meter=meter.number))
            if not meter.concentrator_id:
                raise UserError(self.env._("Remote meter %(meter)s has no concentrator.", meter=meter.number))

    def action_read_now(self):
        """Ask the head-end for the meter's current registers and relay state at its next poll."""
        self._check_remote_meter()
        self.write({'wants_current_read': True, 'wants_relay_read': True})

    def _manual_command(self, action, reason):
        """A manager's trip, close or keep-power on/off of this remote meter, with the reason."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a vending manager may do this."))
        if not (reason or '').strip():
            raise UserError(self.env._("Say why: a manual command needs a reason."))
        return self._send_command(action, reason.strip())

    def _send_command(self, action, reason, origin='manual'):
        """Queue a relay command for the head-end (trip, close, keep-power on/off)."""
        self._check_remote_meter()
        return self.env['prepaid.meter.command']._queue(self, action, reason, origin)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.filtered('account_id') or self.env['prepaid.vend'].search_count(
                [('meter_id', 'in', self.ids)], limit=1):
            raise ValidationError(self.env._("A meter that has served a customer is never deleted."))
