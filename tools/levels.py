"""The meter levels rule shared by meters and account templates."""
from odoo.exceptions import ValidationError


def check_levels(records, message):
    """Pre-trip <= alarm <= hoarding limit, all >= 0 (meters and templates)."""
    for record in records:
        if not 0 <= record.pretrip_energy <= record.alarm_energy <= record.hoarding_energy:
            raise ValidationError(message)
