from odoo import api, fields, models

from ..tools import ENERGY_DIGITS, check_levels


class PrepaidTemplate(models.Model):
    """Defaults for account opening (开户模板); one default template per station."""
    _name = 'prepaid.template'
    _description = 'Account Opening Template'
    _order = 'is_default desc, name'
    _check_company_auto = True

    name = fields.Char(required=True)
    station_id = fields.Many2one('prepaid.station', required=True, check_company=True)
    is_default = fields.Boolean(string='Default')
    area_id = fields.Many2one('prepaid.area', check_company=True)
    meter_type_id = fields.Many2one('prepaid.meter.type', required=True)
    tariff_id = fields.Many2one('prepaid.tariff', required=True, check_company=True)
    alarm_energy = fields.Float(string='Alarm Level', digits=ENERGY_DIGITS, default=20.0)
    pretrip_energy = fields.Float(string='Pre-trip Level', digits=ENERGY_DIGITS, default=10.0)
    hoarding_energy = fields.Float(string='Hoarding Limit', digits=ENERGY_DIGITS, default=9999.0)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)

    _one_default_per_station = models.UniqueIndex(
        '(station_id) WHERE is_default AND active',
        "A station has only one default template.")

    @api.constrains('alarm_energy', 'pretrip_energy', 'hoarding_energy')
    def _check_levels(self):
        check_levels(self, self.env._("Levels must satisfy 0 ≤ pre-trip ≤ alarm ≤ hoarding limit."))

    def _opening_defaults(self):
        """What an account opened on this template gets (no template: the usual levels).
        The backend's opening wizard and the Point of Sale both open accounts with these."""
        template = self[:1]
        return {
            'meter_type_id': template.meter_type_id.id, 'tariff_id': template.tariff_id.id,
            'area_id': template.area_id.id,
            'alarm_energy': template.alarm_energy if template else 20.0,
            'pretrip_energy': template.pretrip_energy if template else 10.0,
            'hoarding_energy': template.hoarding_energy if template else 9999.0,
        }
