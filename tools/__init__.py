"""Small helpers shared by the Odoo layer (no models here)."""
import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from odoo.exceptions import UserError, ValidationError

ENERGY_DIGITS = (16, 2)     # kWh, stored as numeric(16, 2)
PRICE_DIGITS = (16, 4)      # yuan per kWh, 4 decimals
OPERATOR_GROUP = 'prepaid_electricity.prepaid_electricity_group_operator'
MANAGER_GROUP = 'prepaid_electricity.prepaid_electricity_group_manager'
ADMIN_GROUP = 'prepaid_electricity.prepaid_electricity_group_admin'


def electricity_product(env):
    """The Electricity product (product.product) of every vend sold at the POS, or an empty recordset."""
    return env.ref('prepaid_electricity.product_electricity', raise_if_not_found=False) or env['product.product']


def to_decimal(value, places=2):
    """The one way from the Odoo layer's numbers to the engine's exact Decimal, with `places`
    decimals: a value read from a numeric column or a float field (a Python float in the ORM,
    False or None when empty: 0), or a number the POS sends (float, int or numeric string).
    A float is taken as the shortest decimal that prints it (what was stored or typed), never
    its binary expansion; then rounded half up. Anything else is a ValueError."""
    if value is None or value is False:
        value = 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"{value!r} is not a number")
    try:
        result = Decimal(str(value).strip()).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return result


def refusal_error(env, refusal, error_class=UserError):
    """The engine's refusal (engine.messages.Refusal: VendRefused, TariffError, CardRefused,
    MeterRefused) as an Odoo error in the user's language: the one place where the engine's
    messages are translated. Raise it `from None`: the refusal is the whole story."""
    return error_class(env._(refusal.message, **refusal.params))


def check_levels(records, message):
    """Pre-trip <= alarm <= hoarding limit, all >= 0 (meters and templates)."""
    for record in records:
        if not 0 <= record.pretrip_energy <= record.alarm_energy <= record.hoarding_energy:
            raise ValidationError(message)


def company_cash_journal(company):
    """The company's own cash journal: the Cash journal of its chart of accounts when it is
    still an active cash journal (never a demo shop's that happens to sort first), else its
    first cash journal."""
    env = company.env
    journal = env['account.chart.template'].with_company(company).ref('cash', raise_if_not_found=False)
    if journal and journal.active and journal.type == 'cash':
        return journal
    return env['account.journal'].search(
        [*env['account.journal']._check_company_domain(company), ('type', '=', 'cash')], limit=1)


def default_cash_journal(env, station=None):
    """Where a backend sale or refund of `station` is paid by default: the station's cash
    journal, else its company's (env.company's without a station)."""
    if station and station.cash_journal_id:
        return station.cash_journal_id
    return company_cash_journal(station.company_id if station else env.company)


def count_print(records, counter):
    """Count one more print of each record in its integer field `counter`, and return
    {record id: True when this print is a copy (a reprint)}: a printed document has one
    original, every later print says it is a copy and keeps the original number."""
    copies = {record.id: record[counter] > 0 for record in records}
    for record in records:
        # sudo: printing counts the print on a record the printing user cannot write
        record.sudo()[counter] += 1
    return copies


def utc_bounds(env, date_from, date_to):
    """The naive UTC datetimes [start, end) covering the local days date_from..date_to in the
    user's time zone: vends and write-backs are stamped in UTC, a station counts local days."""
    tz = env.tz
    start = tz.localize(datetime.datetime.combine(date_from, datetime.time.min))
    end = tz.localize(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
    return (start.astimezone(datetime.UTC).replace(tzinfo=None),
            end.astimezone(datetime.UTC).replace(tzinfo=None))
