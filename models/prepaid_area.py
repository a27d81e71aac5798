from odoo import fields, models


class PrepaidArea(models.Model):
    """A grouping of customers (building, estate, district) used in queries and reports."""
    _name = 'prepaid.area'
    _description = 'Customer Area'
    _order = 'code, name'

    name = fields.Char(required=True)
    code = fields.Char()
    station_id = fields.Many2one('prepaid.station', check_company=True)
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    active = fields.Boolean(default=True)
    note = fields.Text()

    _check_company_auto = True
    _name_station_uniq = models.Constraint(
        'unique(name, station_id)', "An area with this name already exists at this station.")
