import base64
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
import xlsxwriter
from openpyxl.utils.exceptions import InvalidFileException

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.translate import LazyTranslate

from ..tools import MANAGER_GROUP, default_cash_journal

_lt = LazyTranslate(__name__)

MAX_ERRORS_SHOWN = 30


@dataclass(frozen=True)
class Column:
    """A column of the import file: its key, its label (the template's header, in the user's
    language) and the headers it is known by whatever the language (English and the seed
    system's Chinese)."""
    key: str
    label: object               # a LazyGettext
    aliases: tuple
    required: bool = False
    example: str = ''
    help: object = None         # a LazyGettext


COLUMNS = (
    Column('property', _lt("Property"), ('property', 'property name', '房源', '房源名称'), True, '阳光公寓1号楼',
           _lt("The building or apartment (房源); created when it does not exist yet.")),
    Column('room', _lt("Room"), ('room', '房间', '房间号'), True, '101',
           _lt("The room the meter serves; one meter per room and property.")),
    Column('meter', _lt("Meter Address"), ('meter address', 'meter', 'meter number', '电表地址', '电表编号', '电表'),
           True, '000000366566', _lt("The meter's 12-digit DL/T 645 address.")),
    Column('concentrator', _lt("Concentrator"),
           ('concentrator', 'concentrator asset number', '集中器', '集中器资产编号', '终端', '终端地址'), True,
           '17000405', _lt("The 8-digit asset number of the concentrator; created when it does not exist yet.")),
    Column('port', _lt("Port"), ('port', 'rs485 port', '端口', '端口号'), example='2',
           help=_lt("The concentrator's RS-485 port, 1 to 31 (default 2).")),
    Column('baud', _lt("Baud Rate"), ('baud', 'baud rate', '波特率', '通讯速率'), example='2400',
           help=_lt("1200, 2400, 4800 or 9600 (default 2400).")),
    Column('parity', _lt("Parity"), ('parity', '校验', '校验方式'), example='even',
           help=_lt("even, odd or none (偶, 奇, 无; default even).")),
    Column('start_reading', _lt("Start Reading"), ('start reading', '起始表码', '示值', '示值起始表码'),
           example='0', help=_lt("kWh: billing starts after it (default 0 for a new meter).")),
    Column('tariff', _lt("Tariff"), ('tariff', '电价', '电价编码', '电价名称'), example='',
           help=_lt("The tariff's name; needed for a row with a tenant (or choose a default tariff).")),
    Column('tenant', _lt("Tenant Name"), ('tenant', 'tenant name', 'customer', '会员名称', '会员', '租客'),
           example='张伟', help=_lt("With a tenant an account is opened; without one the room is vacant.")),
    Column('phone', _lt("Phone"), ('phone', 'mobile', '电话', '手机', '手机号码', '会员手机号码'),
           example='13900000001', help=_lt("The tenant's phone: low-balance alarms go to it by SMS.")),
    Column('address', _lt("Address"), ('address', '地址', '用户地址'), example='',
           help=_lt("The tenant's address.")),
    Column('alarm_threshold_1', _lt("Alarm Threshold 1"), ('alarm threshold 1', '预充值1'), example='20',
           help=_lt("Balance at which the tenant is warned first (default 20).")),
    Column('alarm_threshold_2', _lt("Alarm Threshold 2"), ('alarm threshold 2', '预充值2'), example='10',
           help=_lt("Balance at which the tenant is warned again (default 10).")),
    Column('overdraft', _lt("Overdraft Limit"), ('overdraft', 'overdraft limit', '透支值'), example='0',
           help=_lt("How far below zero the balance may go before the meter is tripped (default 0).")),
    Column('auto_trip', _lt("Automatic Trip"), ('auto trip', 'automatic trip', '自动跳闸'), example='yes',
           help=_lt("yes or no (自动 or 手动; default yes).")),
    Column('balance', _lt("Opening Balance"), ('opening balance', 'balance', '账户余额', '余额'), example='0',
           help=_lt("Money the tenant already has: posted as a top-up in the chosen journal.")),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}

YES = {'yes', 'y', 'true', '1', 'on', '是', '自动', '开'}
NO = {'no', 'n', 'false', '0', 'off', '否', '手动', '关'}
PARITIES = {'even': 'even', 'e': 'even', '偶': 'even', '偶校验': 'even',
            'odd': 'odd', 'o': 'odd', '奇': 'odd', '奇校验': 'odd',
            'none': 'none', 'n': 'none', '无': 'none', '无校验': 'none'}
BAUDS = ('1200', '2400', '4800', '9600')
UNITS = re.compile(r'(元|¥|￥|rmb|cny|kwh|度)$', re.IGNORECASE)
DEFAULTS = {'port': 2, 'baud': '2400', 'parity': 'even', 'start_reading': Decimal(0), 'auto_trip': True,
            'alarm_threshold_1': Decimal(20), 'alarm_threshold_2': Decimal(10), 'overdraft': Decimal(0),
            'balance': Decimal(0)}


def _normalize_header(text):
    """Headers compare without case, spaces, punctuation or a unit in brackets ("预充值1(元)")."""
    text = re.sub(r'[(（\[].*?[)）\]]', '', str(text or '')).lower()
    return re.sub(r'[\s_\-:：./]', '', text)


class _Invalid(Exception):
    """A cell that cannot be imported; args[0] is the translated reason."""


@dataclass
class _Row:
    """One line of the file, parsed: `number` is its line in the file (the header is line 1)."""
    number: int
    values: dict
    headers: dict = field(default_factory=dict)     # key -> the header as the file writes it


class PrepaidRemoteImport(models.TransientModel):
    """Import rooms and remote meters (导入房源) from a CSV or XLSX file, one row per room:
    the property, room, meter address, concentrator and RS-485 settings, start reading, and
    optionally a tenant with the tariff, alarm thresholds, overdraft limit, automatic trip and
    an opening balance.

    The whole file is checked first; anything wrong (a bad address, an unknown tariff, a meter
    twice in the file or already in use…) is reported with its row and column and nothing at all
    is imported. Properties (areas) and concentrators that do not exist are created. A meter that
    is already registered is **updated**, provided it is a remote meter with no customer (a new
    one, or one released by a move-out): the file's non-empty cells replace its settings (its
    start reading only when the file gives a different one, so billing keeps its last registers)
    and a row with a tenant opens the new account on it. A meter with a customer is refused.
    A row with a tenant opens its account; a non-zero opening balance is a top-up paid into the
    chosen journal."""
    _name = 'prepaid.remote.import'
    _description = 'Import Rooms and Remote Meters'

    file = fields.Binary(help="CSV (UTF-8 or GBK) or XLSX; the first sheet, a header row first.")
    filename = fields.Char()
    station_id = fields.Many2one('prepaid.station', required=True,
                                 default=lambda self: self.env['prepaid.station'].search([], limit=1),
                                 help="The station of the accounts opened and of the properties created.")
    company_id = fields.Many2one(related='station_id.company_id')
    meter_type_id = fields.Many2one('prepaid.meter.type', required=True,
                                    domain="[('delivery', '=', 'remote')]",
                                    default=lambda self: self.env['prepaid.meter.type'].search(
                                        [('delivery', '=', 'remote')], limit=1),
                                    help="The type of the meters created (existing meters keep theirs).")
    tariff_id = fields.Many2one('prepaid.tariff', string='Default Tariff', check_company=True,
                                help="For the rows with a tenant and no tariff.")
    journal_id = fields.Many2one(
        'account.journal', string='Opening Balance Journal', domain="[('type', 'in', ('cash', 'bank'))]",
        compute='_compute_journal_id', store=True, readonly=False, precompute=True,
        help="Where the opening balances are paid into (each one is posted as a top-up).")
    state = fields.Selection([('draft', 'Draft'), ('checked', 'Checked'), ('done', 'Imported')],
                             default='draft', required=True)
    summary = fields.Text(readonly=True)
    account_ids = fields.Many2many('prepaid.account', string='Accounts Opened', readonly=True)
    meter_ids = fields.Many2many('prepaid.meter', string='Meters Imported', readonly=True)
    template_file = fields.Binary(readonly=True, attachment=False)
    template_filename = fields.Char(readonly=True)

    @api.depends('station_id')
    def _compute_journal_id(self):
        for wizard in self:
            wizard.journal_id = default_cash_journal(self.env, wizard.station_id)

    @api.onchange('file')
    def _onchange_file(self):
        self.state = 'draft'
        self.summary = False

    # ------------------------------------------------------------------ actions
    def action_check(self):
        """Check the whole file and say what importing it would do (nothing is written)."""
        self.ensure_one()
        plan = self._plan(self._parse_file())
        self.write({'state': 'checked', 'summary': self._describe(plan, done=False)})
        return self._reopen()

    def action_import(self):
        """Check the whole file, then import all of it, or nothing."""
        self.ensure_one()
        if self.state == 'done':
            raise UserError(self.env._("This file has been imported already."))
        plan = self._plan(self._parse_file())
        with self.env.cr.savepoint():
            accounts, meters = self._execute(plan)
        self.write({'state': 'done', 'summary': self._describe(plan, done=True),
                    'account_ids': [fields.Command.set(accounts.ids)], 'meter_ids': [fields.Command.set(meters.ids)]})
        return self._reopen()

    def action_view_accounts(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.account', 'name': self.env._("Accounts Opened"),
            'view_mode': 'list,form', 'domain': [('id', 'in', self.account_ids.ids)],
        }

    def action_view_meters(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window', 'res_model': 'prepaid.meter', 'name': self.env._("Meters Imported"),
            'view_mode': 'list,form', 'domain': [('id', 'in', self.meter_ids.ids)],
        }

    def action_download_template(self):
        """The template: an XLSX with the header row in the user's language and a sheet that
        explains each column."""
        self.ensure_one()
        self.write({'template_file': self._template_xlsx(),
                    'template_filename': self.env._("remote_meters_import.xlsx")})
        return {
            'type': 'ir.actions.act_url', 'target': 'download',
            'url': f'/web/content?model={self._name}&id={self.id}&field=template_file'
                   f'&filename_field=template_filename&download=true',
        }

    def _reopen(self):
        return {
            'type': 'ir.actions.act_window', 'res_model': self._name, 'res_id': self.id,
            'name': self.env._("Import Rooms and Meters"), 'view_mode': 'form', 'target': 'new',
        }

    # ------------------------------------------------------------------ template
    def _template_xlsx(self):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {'in_memory': True})
        bold = workbook.add_format({'bold': True})
        text = workbook.add_format({'num_format': '@'})
        sheet = workbook.add_worksheet(self.env._("Rooms"))
        help_sheet = workbook.add_worksheet(self.env._("Help"))
        help_sheet.write_row(0, 0, [self.env._("Column"), self.env._("Required"), self.env._("Example"),
                                    self.env._("Meaning")], bold)
        for index, column in enumerate(COLUMNS):
            label = self.env._(column.label)
            sheet.write_string(0, index, label, bold)
            # text cells: addresses and asset numbers keep their leading zeros
            sheet.set_column(index, index, max(12, len(label) + 4), text)
            help_sheet.write_row(index + 1, 0, [
                label, self.env._("yes") if column.required else '', column.example,
                self.env._(column.help) if column.help else ''])
        help_sheet.set_column(0, 0, 20)
        help_sheet.set_column(2, 2, 16)
        help_sheet.set_column(3, 3, 90)
        workbook.close()
        return base64.b64encode(output.getvalue())

    # ------------------------------------------------------------------ reading the file
    def _parse_file(self):
        """The file's rows as _Row objects, the header mapped to the columns; raises a
        UserError naming every problem found (nothing is written)."""
        if not self.file:
            raise UserError(self.env._("Choose the file to import."))
        data = base64.b64decode(self.file)
        name = (self.filename or '').lower()
        if name.endswith('.xlsx') or (not name.endswith('.csv') and data[:2] == b'PK'):
            lines = self._read_xlsx(data)
        elif name.endswith('.csv') or not name:
            lines = self._read_csv(data)
        else:
            raise UserError(self.env._("Import a CSV or an XLSX file (an .xls file: save it as .xlsx first)."))
        return self._rows_from_lines(lines)

    def _read_csv(self, data):
        for encoding in ('utf-8-sig', 'gb18030'):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(self.env._("The CSV file is neither UTF-8 nor GBK text."))
        first_line = text.split('\n', 1)[0]
        delimiter = max((',', ';', '\t'), key=first_line.count)
        return [list(line) for line in csv.reader(io.StringIO(text), delimiter=delimiter)]

    def _read_xlsx(self, data):
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
            raise UserError(self.env._("This is not an XLSX file that can be read.")) from None
        try:
            return [list(line) for line in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()

    def _header_keys(self, header):
        """{column index: column key} of the header row; a UserError for an unknown, doubled
        or missing column."""
        known = {}
        languages = [code for code, _name in self.env['res.lang'].get_installed()]
        for column in COLUMNS:
            # the aliases (English, the seed system's Chinese) and the template's header in every language
            labels = [self.with_context(lang=code).env._(column.label) for code in languages]
            for alias in (*column.aliases, *labels):
                known[_normalize_header(alias)] = column.key
        keys, errors, seen = {}, [], {}
        for index, cell in enumerate(header):
            title = _cell_text(cell)
            if not title:
                continue
            key = known.get(_normalize_header(title))
            if not key:
                errors.append(self.env._("Column “%(column)s” is not one this import knows.", column=title))
            elif key in seen:
                errors.append(self.env._("Columns “%(first)s” and “%(second)s” are the same column.",
                                         first=seen[key], second=title))
            else:
                keys[index], seen[key] = key, title
        for column in COLUMNS:
            if column.required and column.key not in seen:
                errors.append(self.env._("The file has no column “%(column)s” (%(aliases)s).",
                                         column=self.env._(column.label), aliases=', '.join(column.aliases)))
        if errors:
            raise UserError(self._errors_message(errors))
        return keys, seen

    def _rows_from_lines(self, lines):
        numbered = [(number, line) for number, line in enumerate(lines, start=1)
                    if any(_cell_text(cell) for cell in line)]
        if not numbered:
            raise UserError(self.env._("The file is empty."))
        (_header_number, header), data = numbered[0], numbered[1:]
        keys, headers = self._header_keys(header)
        if not data:
            raise UserError(self.env._("The file has a header but no rows to import."))
        rows = []
        for number, line in data:
            values = {key: line[index] if index < len(line) else None for index, key in keys.items()}
            rows.append(_Row(number=number, values=values, headers=headers))
        return rows

    # ------------------------------------------------------------------ checking
    def _plan(self, rows):
        """Check every row against the file and the database; the plan of what to create and
        update, or a UserError listing every problem with its row and column."""
        self._check_manager()
        company = self.station_id.company_id
        errors = []
        if self.meter_type_id.delivery != 'remote':
            errors.append(self.env._("Choose a remote meter type for the meters created."))
        parsed = []
        for row in rows:
            values = self._parse_row(row, errors)
            if values is not None:
                parsed.append((row, values))
        context = self._lookup(company, [values for _row, values in parsed])
        seen_meters, seen_rooms, concentrator_rows = {}, {}, {}
        for row, values in parsed:
            self._check_row(row, values, context, errors, seen_meters, seen_rooms, concentrator_rows)
        if any(values['balance'] for _row, values in parsed) and not self.journal_id:
            errors.append(self.env._("Choose the journal the opening balances are paid into."))
        if errors:
            raise UserError(self._errors_message(errors))
        return {'company': company, 'rows': parsed, **context}

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a vending manager may import rooms and meters."))

    def _parse_row(self, row, errors):
        """The row's values, each cell parsed (empty: None); its errors appended to `errors`."""
        parsers = {
            'property': self._parse_name, 'room': self._parse_name, 'meter': self._parse_meter,
            'concentrator': self._parse_concentrator, 'port': self._parse_port, 'baud': self._parse_baud,
            'parity': self._parse_parity, 'start_reading': self._parse_start_reading, 'tariff': self._parse_name,
            'tenant': self._parse_name, 'phone': self._parse_name, 'address': self._parse_name,
            'alarm_threshold_1': self._parse_money, 'alarm_threshold_2': self._parse_money,
            'overdraft': self._parse_money, 'auto_trip': self._parse_yes_no, 'balance': self._parse_money,
        }
        values, ok = {}, True
        for key in parsers:
            raw = row.values.get(key)
            try:
                values[key] = parsers[key](raw) if _cell_text(raw) else None
                if values[key] is None and COLUMNS_BY_KEY[key].required:
                    raise _Invalid(self.env._("This column must not be empty."))
            except _Invalid as invalid:
                errors.append(self._cell_error(row, key, invalid.args[0]))
                ok = False
        if not ok:
            return None
        for key in ('alarm_threshold_1', 'alarm_threshold_2', 'overdraft', 'balance'):
            if values[key] is None:
                values[key] = DEFAULTS[key]
        if values['alarm_threshold_2'] > values['alarm_threshold_1']:
            errors.append(self._cell_error(row, 'alarm_threshold_2', self.env._(
                "Alarm threshold 2 (%(second)s) must not be above threshold 1 (%(first)s).",
                second=values['alarm_threshold_2'], first=values['alarm_threshold_1'])))
        if values['balance'] < 0:
            errors.append(self._cell_error(row, 'balance', self.env._(
                "An opening balance must not be negative: settle the debt before importing.")))
        if values['balance'] and not values['tenant']:
            errors.append(self._cell_error(row, 'balance', self.env._(
                "An opening balance needs a tenant on the row.")))
        return values

    def _lookup(self, company, all_values):
        """The records the rows refer to, read in a few queries: {meters, concentrators,
        areas, tariffs} by their key in the file."""
        numbers = {values['meter'] for values in all_values}
        assets = {values['concentrator'] for values in all_values}
        names = {values['property'] for values in all_values}
        meters = self.env['prepaid.meter'].search([('number', 'in', list(numbers)), ('company_id', '=', company.id)])
        concentrators = self.env['prepaid.concentrator'].with_context(active_test=False).search(
            [('asset_number', 'in', list(assets)), ('company_id', '=', company.id)])
        areas = self.env['prepaid.area'].with_context(active_test=False).search(
            [('name', 'in', list(names)), ('company_id', '=', company.id)])
        # of several properties of a name, the station's own wins, then one of no station (the
        # best comes last, so that it is the one left in the dict below)
        areas = areas.sorted(lambda a: (a.active, a.station_id == self.station_id, not a.station_id))
        tariffs = {}
        for tariff in self.env['prepaid.tariff'].with_context(active_test=False).search(
                [('company_id', '=', company.id)]):
            tariffs.setdefault(tariff.name.strip().lower(), []).append(tariff)
        return {
            'meters': {meter.number: meter for meter in meters},
            'concentrators': {c.asset_number: c for c in concentrators},
            'areas': {area.name: area for area in areas},   # the last one of a name wins: the best
            'tariffs': tariffs,
        }

    def _check_row(self, row, values, context, errors, seen_meters, seen_rooms, concentrator_rows):
        number, asset, prop = values['meter'], values['concentrator'], values['property']
        if number in seen_meters:
            errors.append(self._cell_error(row, 'meter', self.env._(
                "Meter %(meter)s is also on row %(other)s.", meter=number, other=seen_meters[number])))
        seen_meters.setdefault(number, row.number)
        room_key = (prop, values['room'])
        if room_key in seen_rooms:
            errors.append(self._cell_error(row, 'room', self.env._(
                "Room %(room)s of %(property)s is also on row %(other)s.",
                room=values['room'], property=prop, other=seen_rooms[room_key])))
        seen_rooms.setdefault(room_key, row.number)
        area = context['areas'].get(prop)
        if area and not area.active:
            errors.append(self._cell_error(row, 'property', self.env._("Property %(property)s is archived.",
                                                                       property=prop)))
        meter = context['meters'].get(number)
        if meter:
            problem = self._existing_meter_problem(meter)
            if problem:
                errors.append(self._cell_error(row, 'meter', problem))
        concentrator = context['concentrators'].get(asset)
        if concentrator and not concentrator.active:
            errors.append(self._cell_error(row, 'concentrator', self.env._(
                "Concentrator %(asset)s is archived.", asset=asset)))
        elif concentrator and concentrator.area_id and concentrator.area_id.name != prop:
            errors.append(self._cell_error(row, 'concentrator', self.env._(
                "Concentrator %(asset)s belongs to property %(property)s.",
                asset=asset, property=concentrator.area_id.name)))
        elif asset in concentrator_rows and concentrator_rows[asset][1] != prop:
            errors.append(self._cell_error(row, 'concentrator', self.env._(
                "Concentrator %(asset)s is on property %(property)s on row %(other)s.",
                asset=asset, property=concentrator_rows[asset][1], other=concentrator_rows[asset][0])))
        concentrator_rows.setdefault(asset, (row.number, prop))
        if values['tenant']:
            values['tariff_record'] = self._row_tariff(row, values, context, errors)

    def _existing_meter_problem(self, meter):
        if meter.state == 'replaced':
            return self.env._("Meter %(meter)s has been replaced; it cannot be used again.", meter=meter.number)
        if meter.account_id or meter.state != 'available':
            return self.env._("Meter %(meter)s is already in use by customer %(customer)s.",
                              meter=meter.number, customer=meter.account_id.display_name or '-')
        if meter.delivery != 'remote':
            return self.env._("Meter %(meter)s is registered as an IC card meter, not a remote meter.",
                              meter=meter.number)
        return None

    def _row_tariff(self, row, values, context, errors):
        if not values['tariff']:
            if self.tariff_id:
                return self.tariff_id
            errors.append(self._cell_error(row, 'tariff', self.env._(
                "A row with a tenant needs a tariff (or choose a default tariff).")))
            return None
        found = context['tariffs'].get(values['tariff'].strip().lower(), [])
        if len(found) > 1:
            found = [tariff for tariff in found if tariff.active] or found
        if len(found) != 1:
            errors.append(self._cell_error(row, 'tariff', self.env._(
                "No tariff is named “%(tariff)s”.", tariff=values['tariff']) if not found else self.env._(
                "Several tariffs are named “%(tariff)s”: rename one.", tariff=values['tariff'])))
            return None
        if not found[0].active:
            errors.append(self._cell_error(row, 'tariff', self.env._(
                "Tariff “%(tariff)s” is archived.", tariff=values['tariff'])))
            return None
        return found[0]

    def _cell_error(self, row, key, reason):
        header = row.headers.get(key) or self.env._(COLUMNS_BY_KEY[key].label)
        return self.env._("Row %(row)s, column “%(column)s”: %(reason)s", row=row.number, column=header, reason=reason)

    def _errors_message(self, errors):
        shown = errors[:MAX_ERRORS_SHOWN]
        lines = [self.env._("Nothing was imported. Correct the file and import it again:"), *shown]
        if len(errors) > len(shown):
            lines.append(self.env._("… and %(count)s more.", count=len(errors) - len(shown)))
        return '\n'.join(lines)

    # ------------------------------------------------------------------ cell parsers
    def _parse_name(self, raw):
        return _cell_text(raw)

    def _parse_digits(self, raw, length):
        text = _cell_text(raw)
        if isinstance(raw, (int, float)) and text.isdigit() and len(text) < length:
            text = text.zfill(length)    # a number cell lost its leading zeros
        return text if text.isdigit() and len(text) == length else None

    def _parse_meter(self, raw):
        number = self._parse_digits(raw, 12)
        if not number:
            raise _Invalid(self.env._("“%(value)s” is not a 12-digit meter address.", value=_cell_text(raw)))
        return number

    def _parse_concentrator(self, raw):
        asset = self._parse_digits(raw, 8)
        if not asset:
            raise _Invalid(self.env._("“%(value)s” is not an 8-digit concentrator asset number.",
                                      value=_cell_text(raw)))
        return asset

    def _parse_port(self, raw):
        text = _cell_text(raw)
        if not (text.isdigit() and 1 <= int(text) <= 31):
            raise _Invalid(self.env._("“%(value)s” is not a concentrator port (1 to 31).", value=text))
        return int(text)

    def _parse_baud(self, raw):
        text = _cell_text(raw)
        if text not in BAUDS:
            raise _Invalid(self.env._("“%(value)s” is not a baud rate (1200, 2400, 4800 or 9600).", value=text))
        return text

    def _parse_parity(self, raw):
        parity = PARITIES.get(_cell_text(raw).lower())
        if not parity:
            raise _Invalid(self.env._("“%(value)s” is not a parity (even, odd or none).", value=_cell_text(raw)))
        return parity

    def _parse_yes_no(self, raw):
        text = _cell_text(raw).lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise _Invalid(self.env._("“%(value)s” is neither yes nor no.", value=_cell_text(raw)))

    def _parse_decimal(self, raw):
        text = UNITS.sub('', _cell_text(raw).replace(',', '')).strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value != value.quantize(Decimal('0.01')):
            raise _Invalid(self.env._("“%(value)s” is not a number with at most 2 decimals.", value=_cell_text(raw)))
        return value.quantize(Decimal('0.01'))

    def _parse_money(self, raw):
        return self._parse_decimal(raw)

    def _parse_start_reading(self, raw):
        value = self._parse_decimal(raw)
        if not 0 <= value < 1000000:
            raise _Invalid(self.env._("A start reading is 0 to 999999.99 kWh."))
        return value

    # ------------------------------------------------------------------ importing
    def _execute(self, plan):
        """Create and update everything the plan says, in a few batches; returns (the accounts
        opened, the meters created or updated)."""
        areas = self._ensure_areas(plan)
        concentrators = self._ensure_concentrators(plan, areas)
        meters = self._ensure_meters(plan, concentrators)
        accounts = self._open_accounts(plan, areas, meters)
        for row, values in plan['rows']:
            if values['balance'] and values['tenant']:
                accounts[values['meter']]._top_up(values['balance'], self.journal_id,
                                                  client_request_id=f'remote-import-{self.id}-{row.number}')
        all_accounts = self.env['prepaid.account'].union(*accounts.values())
        all_meters = self.env['prepaid.meter'].union(*meters.values())
        return all_accounts, all_meters

    def _ensure_areas(self, plan):
        areas = dict(plan['areas'])
        new_names = list(dict.fromkeys(values['property'] for _row, values in plan['rows']
                                       if values['property'] not in areas))
        created = self.env['prepaid.area'].create([
            {'name': name, 'station_id': self.station_id.id, 'company_id': plan['company'].id} for name in new_names])
        plan['created_areas'] = created
        areas.update({area.name: area for area in created})
        return areas

    def _ensure_concentrators(self, plan, areas):
        concentrators = dict(plan['concentrators'])
        new_vals = {}
        for _row, values in plan['rows']:
            asset = values['concentrator']
            existing = concentrators.get(asset)
            if existing and not existing.area_id:
                existing.area_id = areas[values['property']]
            elif not existing and asset not in new_vals:
                new_vals[asset] = {
                    'asset_number': asset, 'name': values['property'], 'area_id': areas[values['property']].id,
                    'company_id': plan['company'].id,
                }
        created = self.env['prepaid.concentrator'].create(list(new_vals.values()))
        plan['created_concentrators'] = created
        concentrators.update({c.asset_number: c for c in created})
        return concentrators

    def _ensure_meters(self, plan, concentrators):
        """Create the new meters; update the available ones with the file's non-empty cells
        (an existing meter's start reading only when the file gives another one)."""
        meters = {}
        new_vals = []
        for _row, values in plan['rows']:
            vals = {'concentrator_id': concentrators[values['concentrator']].id, 'room': values['room']}
            for key, name in (('port', 'rs485_port'), ('baud', 'baud'), ('parity', 'parity'),
                              ('auto_trip', 'auto_trip')):
                if values[key] is not None:
                    vals[name] = values[key]
            existing = plan['meters'].get(values['meter'])
            if existing:
                if values['start_reading'] is not None:
                    vals['start_reading'] = float(values['start_reading'])
                existing.write(vals)
                meters[values['meter']] = existing
            else:
                new_vals.append({
                    **{name: DEFAULTS[key] for key, name in (('port', 'rs485_port'), ('baud', 'baud'),
                                                             ('parity', 'parity'), ('auto_trip', 'auto_trip'))},
                    **vals, 'number': values['meter'], 'meter_type_id': self.meter_type_id.id,
                    'start_reading': float(values['start_reading'] or 0), 'company_id': plan['company'].id,
                })
        created = self.env['prepaid.meter'].create(new_vals)
        plan['created_meters'] = created
        meters.update({meter.number: meter for meter in created})
        return meters

    def _open_accounts(self, plan, areas, meters):
        """Open an account for each row with a tenant (the tenant found by name and phone,
        else created); {meter number: account}."""
        tenant_rows = [values for _row, values in plan['rows'] if values['tenant']]
        partners = self._ensure_partners(tenant_rows)
        accounts = self.env['prepaid.account'].create([{
            'partner_id': partners[(values['tenant'], values['phone'] or '')].id,
            'meter_id': meters[values['meter']].id, 'tariff_id': values['tariff_record'].id,
            'station_id': self.station_id.id, 'area_id': areas[values['property']].id,
            'company_id': plan['company'].id,
            'alarm_threshold_1': float(values['alarm_threshold_1']),
            'alarm_threshold_2': float(values['alarm_threshold_2']),
            'overdraft_limit': float(values['overdraft']),
        } for values in tenant_rows])
        accounts._record_operation('open', note=self.env._("Imported from %(file)s.",
                                                           file=self.filename or self.env._("a file")))
        return {account.meter_id.number: account for account in accounts}

    def _ensure_partners(self, tenant_rows):
        keys = list(dict.fromkeys((values['tenant'], values['phone'] or '') for values in tenant_rows))
        phones = [phone for _name, phone in keys if phone]
        partners = {}
        if phones:
            for partner in self.env['res.partner'].search([('phone', 'in', phones)], order='id'):
                partners.setdefault((partner.name, partner.phone), partner)
        addresses = {(values['tenant'], values['phone'] or ''): values['address'] for values in tenant_rows}
        missing = [key for key in keys if key not in partners]
        # sudo: a vending manager registers the tenants of their rooms without being a contacts
        # administrator (Contact/Creation); only the name, phone and address are written
        created = self.env['res.partner'].sudo().create([
            {'name': name, 'phone': phone or False, 'street': addresses[name, phone] or False}
            for name, phone in missing])
        partners.update(zip(missing, created.sudo(False)))
        return partners

    def _describe(self, plan, done):
        rows = plan['rows']
        existing_meters = sum(1 for _row, values in rows if values['meter'] in plan['meters'])
        new_areas = len({values['property'] for _row, values in rows} - set(plan['areas']))
        new_concentrators = len({values['concentrator'] for _row, values in rows} - set(plan['concentrators']))
        tenants = sum(1 for _row, values in rows if values['tenant'])
        balance = sum((values['balance'] for _row, values in rows), Decimal(0))
        params = {
            'rows': len(rows), 'meters_new': len(rows) - existing_meters, 'meters_updated': existing_meters,
            'properties': new_areas, 'concentrators': new_concentrators, 'accounts': tenants,
            'balance': f'{balance:.2f}',
        }
        if done:
            return self.env._(
                "Imported %(rows)s rows. Meters created: %(meters_new)s, updated: %(meters_updated)s. Properties "
                "created: %(properties)s. Concentrators created: %(concentrators)s. Accounts opened: %(accounts)s. "
                "Opening balances topped up: %(balance)s.", **params)
        return self.env._(
            "The file can be imported: %(rows)s rows. Meters to create: %(meters_new)s, to update: "
            "%(meters_updated)s. Properties to create: %(properties)s. Concentrators to create: %(concentrators)s. "
            "Accounts to open: %(accounts)s. Opening balances to top up: %(balance)s.", **params)

def _cell_text(value):
    """A cell as text: numbers without a spurious '.0', the rest stripped."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value).strip()
