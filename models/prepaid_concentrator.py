from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PrepaidConcentrator(models.Model):
    """A concentrator (集中器): it reads its remote meters over RS-485 and talks to the
    head-end over TCP, as a Q/GDW 1376.1 terminal that dials in with its 8-digit asset number,
    or as a transparent DL/T 645 gateway (DTU) that the head-end dials."""
    _name = 'prepaid.concentrator'
    _description = 'Concentrator'
    _order = 'asset_number'
    _rec_names_search = ['asset_number', 'name']
    _check_company_auto = True

    asset_number = fields.Char(required=True, size=8, index=True,
                               help="The 8-digit asset number (terminal address) the concentrator logs in with.")
    name = fields.Char(required=True)
    place = fields.Char(string='Installation Place', help="e.g. the meter room of building 3")
    address = fields.Char()
    area_id = fields.Many2one('prepaid.area', string='Property', check_company=True)
    protocol = fields.Selection(
        [('gdw1376', 'Q/GDW 1376.1 concentrator'), ('dlt645_tcp', 'DL/T 645 TCP gateway (DTU)')],
        string='Terminal Protocol', default='gdw1376', required=True)
    host = fields.Char(help="A gateway's IP address or host name: the head-end dials it.")
    port = fields.Integer(help="A gateway's TCP port.")
    head_end_id = fields.Many2one(
        'prepaid.card.bridge', string='Head-end', domain="[('service', '=', 'head_end')]", check_company=True,
        help="The head-end that serves this concentrator; empty: every head-end of the company.")
    is_online = fields.Boolean(string='Online', readonly=True)
    last_heartbeat = fields.Datetime(readonly=True)
    last_status_at = fields.Datetime(string='Status Since', readonly=True)
    peer = fields.Char(string='Connected From', readonly=True)
    status_detail = fields.Char(string='Last Event', readonly=True)
    meter_ids = fields.One2many('prepaid.meter', 'concentrator_id', string='Meters')
    meter_count = fields.Integer(compute='_compute_meter_count')
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)

    _asset_company_uniq = models.Constraint(
        'unique(asset_number, company_id)', "This concentrator asset number is already registered.")

    @api.depends('asset_number', 'name')
    def _compute_display_name(self):
        for concentrator in self:
            concentrator.display_name = f'{concentrator.asset_number} {concentrator.name or ""}'.strip()

    def _compute_meter_count(self):
        counts = dict(self.env['prepaid.meter']._read_group(
            [('concentrator_id', 'in', self.ids)], ['concentrator_id'], ['__count']))
        for concentrator in self:
            concentrator.meter_count = counts.get(concentrator, 0)

    @api.constrains('asset_number', 'protocol', 'host', 'port')
    def _check_asset_number(self):
        for concentrator in self:
            if concentrator.protocol == 'gdw1376' and not (
                    concentrator.asset_number.isdigit() and len(concentrator.asset_number) == 8):
                raise ValidationError(self.env._("A concentrator's asset number has 8 digits."))
            if concentrator.protocol == 'dlt645_tcp' and not (
                    concentrator.host and 0 < concentrator.port < 65536):
                raise ValidationError(self.env._(
                    "A DL/T 645 gateway needs the host and the TCP port the head-end dials."))

    def action_view_meters(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.meter', 'name': self.env._("Meters"),
            'view_mode': 'list,form', 'domain': [('concentrator_id', '=', self.id)],
            'context': {'default_concentrator_id': self.id},
        }
