import io
from datetime import date, datetime, time
from operator import itemgetter

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools import MANAGER_GROUP

# One row per column of a section: (label, type); the type drives PDF and XLSX formatting.
TEXT, DATETIME, COUNT, ENERGY, MONEY = 'text', 'datetime', 'count', 'energy', 'money'
# What tells payment methods apart: backend journal, POS payment method, channel.
PAYMENT_KEYS = ('journal_id', 'pos_payment_method_id', 'channel')


class PrepaidSalesReportPrint(models.TransientModel):
    """Print the sales reports (PDF) or export them (XLSX). Both outputs render the same
    `_get_report_data()`, whose figures all come from SQL sums of `prepaid.sales.report`.

    Managers print every report. Operators print the daily report of their own sales only:
    the wizard refuses anything else, and a record rule limits what they can read anyway."""
    _name = 'prepaid.sales.report.print'
    _description = 'Print Sales Report'

    def _default_user_id(self):
        # operators report on their own sales; managers on everyone's unless they choose
        return False if self.env.user.has_group(MANAGER_GROUP) else self.env.user

    report_kind = fields.Selection([
        ('daily', 'Daily Report'),
        ('monthly', 'Monthly Report'),
        ('yearly', 'Yearly Summary'),
        ('operator', 'Monthly Summary per Operator'),
    ], string='Report', required=True, default='daily')
    date = fields.Date(default=fields.Date.context_today)
    year = fields.Integer(default=lambda self: fields.Date.context_today(self).year)
    month = fields.Selection([(str(m), name) for m, name in enumerate((
        'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
        'October', 'November', 'December'), start=1)],
        default=lambda self: str(fields.Date.context_today(self).month))
    grouping = fields.Selection(
        [('customer', 'Per Customer'), ('area', 'Per Area'), ('all', 'All Customers')],
        string='Rows', default='customer', required=True)
    measure = fields.Selection(
        [('amount', 'Net Amount'), ('energy', 'Energy Sold (kWh)'), ('sale_count', 'Number of Sales')],
        default='amount', required=True)
    account_id = fields.Many2one('prepaid.account', string='Customer Account')
    area_id = fields.Many2one('prepaid.area')
    user_id = fields.Many2one('res.users', string='Operator',
                              default=lambda self: self._default_user_id())
    company_id = fields.Many2one('res.company', required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related='company_id.currency_id')
    is_manager = fields.Boolean(compute='_compute_is_manager')
    report_filename = fields.Char(compute='_compute_report_filename')

    @api.depends_context('uid')
    def _compute_is_manager(self):
        self.is_manager = self.env.user.has_group(MANAGER_GROUP)

    @api.depends('report_kind', 'date', 'year', 'month')
    def _compute_report_filename(self):
        for wizard in self:
            kind = dict(wizard._fields['report_kind']._description_selection(wizard.env))[wizard.report_kind]
            wizard.report_filename = f'{kind} {wizard._period_label()}'

    # ------------------------------------------------------------------ actions
    def action_print_pdf(self):
        self.ensure_one()
        self._check_report_access()
        return self.env.ref('prepaid_electricity.action_report_sales').report_action(self, config=False)

    def action_export_xlsx(self):
        self.ensure_one()
        self._check_report_access()
        return {'type': 'ir.actions.act_url', 'target': 'download',
                'url': f'/prepaid_electricity/sales_report/{self.id}/xlsx'}

    # ------------------------------------------------------------------ rules
    def _check_report_access(self):
        """Operators: the daily report of their own sales, nothing else."""
        self.ensure_one()
        if self.env.user.has_group(MANAGER_GROUP):
            return
        if self.report_kind != 'daily' or self.user_id != self.env.user or self.account_id or self.area_id:
            raise AccessError(self.env._("Operators may only print the daily report of their own sales."))

    # ------------------------------------------------------------------ periods
    def _period(self):
        """[start, end) of the report in UTC (naive, as stored), from the user's local days."""
        if self.report_kind == 'daily':
            if not self.date:
                raise UserError(self.env._("Choose the day of the report."))
            start, end = self.date, self.date + relativedelta(days=1)
        elif self.report_kind == 'yearly':
            start, end = date(self.year, 1, 1), date(self.year + 1, 1, 1)
        else:
            if not self.month:
                raise UserError(self.env._("Choose the month of the report."))
            start = date(self.year, int(self.month), 1)
            end = start + relativedelta(months=1)
        if not 1900 < self.year < 3000:
            raise UserError(self.env._("Enter a valid year."))
        return self._utc_start(start), self._utc_start(end)

    def _utc_start(self, day):
        """When the user's local `day` starts, in UTC (naive, as stored)."""
        return self.env.tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def _period_label(self):
        if self.report_kind == 'daily':
            return fields.Date.to_string(self.date) if self.date else ''
        if self.report_kind == 'yearly':
            return str(self.year)
        return f'{self.year}-{int(self.month or 1):02d}'

    def _get_domain(self):
        start, end = self._period()
        domain = [('company_id', '=', self.company_id.id), ('date', '>=', start), ('date', '<', end)]
        if self.user_id and self.report_kind in ('daily', 'monthly'):
            domain.append(('user_id', '=', self.user_id.id))
        if self.report_kind == 'yearly' and self.account_id:
            domain.append(('account_id', '=', self.account_id.id))
        if self.report_kind == 'yearly' and self.area_id:
            domain.append(('area_id', '=', self.area_id.id))
        return domain

    def _report_model(self):
        # Group by local days and months, like the period boundaries.
        return self.env['prepaid.sales.report'].with_context(tz=self.env.tz.zone)

    # ------------------------------------------------------------------ report data
    def _get_report_data(self):
        """Everything a report shows, as plain values: a title, the filters and sections of
        columns, rows and a totals row. The PDF and the XLSX file only format this."""
        self.ensure_one()
        self._check_report_access()
        Report = self._report_model()
        domain = self._get_domain()
        sections, xlsx_sections = getattr(self, f'_sections_{self.report_kind}')(Report, domain)
        filters = []
        if self.user_id and self.report_kind in ('daily', 'monthly'):
            filters.append(self.env._("Operator: %(name)s", name=self.user_id.name))
        if self.report_kind == 'yearly':
            if self.account_id:
                filters.append(self.env._("Customer: %(name)s", name=self.account_id.display_name))
            if self.area_id:
                filters.append(self.env._("Area: %(name)s", name=self.area_id.name))
        return {
            'title': dict(self._fields['report_kind']._description_selection(self.env))[self.report_kind],
            'period': self._period_label(),
            'filters': filters,
            'company': self.company_id.name,
            'currency': self.currency_id.name,
            'printed_at': fields.Datetime.context_timestamp(self, fields.Datetime.now()).strftime('%Y-%m-%d %H:%M'),
            'sections': sections,
            'xlsx_sections': xlsx_sections,
        }

    def _measure_columns(self):
        _ = self.env._
        return [(_("Number of Sales"), COUNT), (_("Number of Refunds"), COUNT), (_("Energy (kWh)"), ENERGY),
                (_("Sales Amount"), MONEY), (_("Refunded"), MONEY), (_("Net Amount"), MONEY)]

    @staticmethod
    def _measure_values(figures):
        return [figures['sale_count'], figures['refund_count'], figures['energy'],
                figures['sale_amount'], figures['refund_amount'], figures['amount']]

    def _section(self, title, sheet, columns, rows, totals):
        return {'title': title, 'sheet': sheet, 'columns': columns, 'rows': rows, 'totals': totals}

    def _summary_section(self, title, sheet, key_label, groups, totals, label):
        """One row per group (sorted by its label) with the six measures, and the totals."""
        rows = sorted(([label(keys), *self._measure_values(figures)] for keys, figures in groups.items()),
                      key=lambda row: row[0])
        return self._section(title, sheet, [(key_label, TEXT), *self._measure_columns()], rows,
                             [self.env._("Total"), *self._measure_values(totals)])

    def _payment_label(self, journal, pos_method, channel):
        """The payment method of a group, from its keys (ids, None when absent)."""
        _ = self.env._
        journal = self.env['account.journal'].browse(journal or [])
        pos_method = self.env['pos.payment.method'].browse(pos_method or [])
        channels = dict(self.env['prepaid.sales.report']._fields['channel']._description_selection(self.env))
        if journal:
            return journal.name if channel == 'backend' else f'{journal.name} ({channels.get(channel, "")})'
        if pos_method:
            return _("%(method)s (Point of Sale)", method=pos_method.name)
        if channel == 'pos':
            return _("Several methods (Point of Sale)")
        return _("No payment (%(channel)s)", channel=channels.get(channel, ''))

    def _payment_section(self, groups, totals):
        _ = self.env._
        return self._summary_section(_("Per Payment Method"), _("Payment Methods"), _("Payment Method"),
                                     groups, totals, lambda keys: self._payment_label(*keys))

    def _lines_section(self, Report, domain, title, sheet, totals):
        """Every sale and refund of `domain`, with the totals of the same domain."""
        _ = self.env._
        lines = Report._get_lines(domain)
        users = {user.id: user.name for user in self.env['res.users'].browse({line[5] for line in lines if line[5]})}
        payments = {key: self._payment_label(*key) for key in {line[6:9] for line in lines}}
        kinds = dict(Report._fields['kind']._description_selection(self.env))
        tz = self.env.tz
        rows = [[pytz.utc.localize(when).astimezone(tz).replace(tzinfo=None), name, kinds[kind], number, customer,
                 users.get(user_id, ''), payments[journal_id, method_id, channel], float(energy or 0),
                 float(amount or 0)]
                for when, name, kind, number, customer, user_id, journal_id, method_id, channel, energy, amount
                in lines]
        columns = [(_("Date"), DATETIME), (_("Reference"), TEXT), (_("Type"), TEXT), (_("Customer No."), TEXT),
                   (_("Customer"), TEXT), (_("Operator"), TEXT), (_("Payment Method"), TEXT),
                   (_("Energy (kWh)"), ENERGY), (_("Amount"), MONEY)]
        return self._section(title, sheet, columns, rows,
                             [_("Total"), None, None, None, None, None, None, totals['energy'], totals['amount']])

    def _sections_daily(self, Report, domain):
        _ = self.env._
        totals, payments = Report._get_figure_sets(domain, [(), PAYMENT_KEYS])
        totals = totals[()]
        return [self._lines_section(Report, domain, _("Sales and Refunds"), _("Sales and Refunds"), totals),
                self._payment_section(payments, totals)], []

    def _sections_monthly(self, Report, domain):
        _ = self.env._
        totals, days, payments = Report._get_figure_sets(domain, [(), ('day',), PAYMENT_KEYS])
        totals = totals[()]
        per_day = self._summary_section(_("Per Day"), _("Per Day"), _("Day"), days, totals,
                                        lambda keys: fields.Date.to_string(keys[0]))
        details = self._lines_section(Report, domain, _("Sales and Refunds"), _("Sales and Refunds"), totals)
        # A month of vends is too long for paper: its lines go to the XLSX file only.
        return [per_day, self._payment_section(payments, totals)], [details]

    def _sections_operator(self, Report, domain):
        """Per operator: the six measures and the net money per payment method (what each
        operator hands over); then per payment method. One scan of the month."""
        _ = self.env._
        totals, operators, payments, cross = Report._get_figure_sets(
            domain, [(), ('user_id',), PAYMENT_KEYS, ('user_id', *PAYMENT_KEYS)])
        totals = totals[()]
        methods = sorted(payments, key=lambda keys: self._payment_label(*keys))
        names = {user.id: user.name for user in self.env['res.users'].browse([k[0] for k in operators if k[0]])}
        rows = sorted(([names.get(user_id) or _("Unknown"), *self._measure_values(figures),
                        *(cross.get((user_id, *method), {}).get('amount', 0.0) for method in methods)]
                       for (user_id,), figures in operators.items()), key=lambda row: row[0])
        total_row = [_("Total"), *self._measure_values(totals), *(payments[method]['amount'] for method in methods)]
        columns = [(_("Operator"), TEXT), *self._measure_columns(),
                   *((self._payment_label(*method), MONEY) for method in methods)]
        per_operator = self._section(_("Per Operator"), _("Operators"), columns, rows, total_row)
        return [per_operator, self._payment_section(payments, totals)], []

    def _sections_yearly(self, Report, domain):
        """One row per customer, area or everything, one column per month: `measure`."""
        _ = self.env._
        measure = self.measure
        kind = COUNT if measure == 'sale_count' else ENERGY if measure == 'energy' else MONEY
        row_field = {'customer': 'account_id', 'area': 'area_id'}.get(self.grouping)
        bounds = [self._utc_start(date(self.year, 1, 1) + relativedelta(months=m)) for m in range(13)]
        months, totals = Report._get_months(domain, row_field, measure, bounds)
        if self.grouping == 'customer':
            # the customer number and name come with the figures (same query)
            key_columns = [(_("Customer No."), TEXT), (_("Customer"), TEXT)]
            rows = sorted(months, key=itemgetter(0))
        elif self.grouping == 'area':
            key_columns = [(_("Area"), TEXT)]
            areas = self.env['prepaid.area'].browse([row[0] for row in months if row[0]])
            names = {area.id: area.name for area in areas}
            months.sort(key=lambda row: (not row[0], names.get(row[0], '')))
            rows = [[names.get(row[0]) or _("No area"), *row[1:]] for row in months]
        else:
            key_columns, rows = [(_("Customers"), TEXT)], [[_("All customers"), *totals]]
        columns = [*key_columns, *((f'{self.year}-{m:02d}', kind) for m in range(1, 13)), (_("Total"), kind)]
        total_row = [_("Total"), *([None] * (len(key_columns) - 1)), *totals]
        measure_label = dict(self._fields['measure']._description_selection(self.env))[measure]
        return [self._section(measure_label, _("Yearly Summary"), columns, rows, total_row)], []

    # ------------------------------------------------------------------ XLSX
    def _render_xlsx(self):
        """The report as an XLSX file (bytes): one sheet per section, typed cells, number
        formats, frozen title and header rows, a totals row."""
        import xlsxwriter  # noqa: PLC0415 (external dependency, only needed here)
        data = self._get_report_data()
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {'in_memory': True, 'constant_memory': True})
        title_format = workbook.add_format({'bold': True, 'font_size': 12})
        header_format = workbook.add_format({'bold': True, 'bg_color': '#D9D9D9', 'border': 1, 'text_wrap': True})
        number_formats = {COUNT: '#,##0', ENERGY: '#,##0.00', MONEY: '#,##0.00', DATETIME: 'yyyy-mm-dd hh:mm:ss'}
        cell_formats = {kind: workbook.add_format({'num_format': fmt}) for kind, fmt in number_formats.items()}
        total_formats = {kind: workbook.add_format({'num_format': fmt, 'bold': True, 'top': 2})
                         for kind, fmt in number_formats.items()}
        total_formats[TEXT] = workbook.add_format({'bold': True, 'top': 2})
        used_names = set()
        for section in data['sections'] + data['xlsx_sections']:
            sheet = workbook.add_worksheet(self._sheet_name(section['sheet'], used_names))
            heading = ' - '.join(filter(None, [data['company'], data['title'], data['period'], *data['filters']]))
            sheet.write_string(0, 0, heading, title_format)
            types = [kind for _label, kind in section['columns']]
            for col, (label, kind) in enumerate(section['columns']):
                sheet.write_string(1, col, label, header_format)
                sheet.set_column(col, col, {TEXT: 18, DATETIME: 19}.get(kind, 14))
            sheet.freeze_panes(2, 0)
            row_index = 2
            for row in section['rows']:
                self._xlsx_write_row(sheet, row_index, row, types, cell_formats)
                row_index += 1
            if section['totals']:
                self._xlsx_write_row(sheet, row_index, section['totals'], types, total_formats, is_total=True)
        workbook.close()
        return buffer.getvalue()

    @staticmethod
    def _xlsx_write_row(sheet, row_index, row, types, formats, is_total=False):
        for col, (value, kind) in enumerate(zip(row, types)):
            if value is None or value is False:
                if is_total:
                    sheet.write_blank(row_index, col, None, formats[TEXT])
            elif kind == TEXT or isinstance(value, str):
                sheet.write_string(row_index, col, value, formats[TEXT] if is_total else None)
            elif kind == DATETIME:
                sheet.write_datetime(row_index, col, value, formats[DATETIME])
            else:
                sheet.write_number(row_index, col, value, formats[kind])

    @staticmethod
    def _sheet_name(name, used_names):
        """Excel: 31 characters at most, none of []:*?/\\, unique in the workbook."""
        clean = ''.join('_' if c in '[]:*?/\\' else c for c in name)[:28] or 'Sheet'
        candidate, n = clean, 1
        while candidate.lower() in used_names:
            n += 1
            candidate = f'{clean} {n}'
        used_names.add(candidate.lower())
        return candidate
