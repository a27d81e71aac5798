import base64
import io

import openpyxl

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .remote_common import ASSET, METER, RemoteCommon

CHINESE_HEADER = ('房源,房间,电表地址,集中器,端口,波特率,校验方式,起始表码,电价,会员名称,手机,用户地址,'
                  '预充值1,预充值2,透支值,自动跳闸,账户余额')


def csv_file(*lines, encoding='utf-8'):
    return base64.b64encode('\n'.join(lines).encode(encoding))


def xlsx_file(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return base64.b64encode(output.getvalue())


@tagged('post_install', '-at_install')
class TestRemoteImport(RemoteCommon):
    """Import of rooms and remote meters (导入房源) from CSV and XLSX: the whole file is checked,
    then imported entirely or not at all. A registered meter without a customer is updated (and
    gets the row's tenant); a meter with a customer is refused."""

    def import_file(self, data, filename, user=None, **vals):
        wizard = self.env['prepaid.remote.import'].with_user(user or self.manager).create({
            'file': data, 'filename': filename, 'station_id': self.station.id, 'meter_type_id': self.meter_type.id,
            'journal_id': self.journal.id, **vals})
        wizard.action_import()
        self.env.flush_all()
        return wizard

    def counts(self):
        return {model: self.env[model].with_context(active_test=False).search_count([])
                for model in ('prepaid.area', 'prepaid.concentrator', 'prepaid.meter', 'prepaid.account',
                              'res.partner', 'prepaid.vend')}

    def test_csv_with_chinese_headers_in_gbk(self):
        """A CSV saved by a Chinese spreadsheet (GBK): the property and concentrator are created,
        both meters registered, an account opened for the room with a tenant, and its opening
        balance topped up into the chosen journal; the vacant room gets its meter only."""
        data = csv_file(
            CHINESE_HEADER,
            '远洋心堡3-2-901,室1,000051000001,17000501,2,2400,偶,12.5,TOU,合南,18958000001,杭州市江干区远洋心堡,'
            '30元,15元,5元,自动,23.11',
            '远洋心堡3-2-901,室2,000051000002,17000501,3,,,,,,,,,,,手动,',
            encoding='gb18030')
        wizard = self.import_file(data, '房源.csv')
        area = self.env['prepaid.area'].search([('name', '=', '远洋心堡3-2-901')])
        self.assertRecordValues(area, [{'station_id': self.station.id}])
        concentrator = self.env['prepaid.concentrator'].search([('asset_number', '=', '17000501')])
        self.assertRecordValues(concentrator, [{'name': '远洋心堡3-2-901', 'area_id': area.id, 'protocol': 'gdw1376'}])
        meters = self.env['prepaid.meter'].search([('number', 'in', ('000051000001', '000051000002'))])
        self.assertRecordValues(meters, [
            {'number': '000051000001', 'room': '室1', 'concentrator_id': concentrator.id, 'rs485_port': 2,
             'baud': '2400', 'parity': 'even', 'start_reading': 12.5, 'auto_trip': True,
             'meter_type_id': self.meter_type.id, 'state': 'installed'},
            {'number': '000051000002', 'room': '室2', 'concentrator_id': concentrator.id, 'rs485_port': 3,
             'baud': '2400', 'parity': 'even', 'start_reading': 0.0, 'auto_trip': False,
             'meter_type_id': self.meter_type.id, 'state': 'available'},
        ])
        account = meters[0].account_id
        self.assertEqual(wizard.account_ids, account)
        self.assertEqual(wizard.meter_ids, meters)
        self.assertRecordValues(account, [{
            'state': 'active', 'tariff_id': self.tariff.id, 'station_id': self.station.id, 'area_id': area.id,
            'alarm_threshold_1': 30.0, 'alarm_threshold_2': 15.0, 'overdraft_limit': 5.0, 'money_balance': 23.11,
        }])
        self.assertRecordValues(account.partner_id, [{'name': '合南', 'phone': '18958000001',
                                                      'street': '杭州市江干区远洋心堡'}])
        self.assertEqual(account.operation_ids.mapped('kind'), ['open'])
        self.assertRecordValues(account.vend_ids, [{'kind': 'topup', 'amount_paid': 23.11, 'balance_after': 23.11}])
        self.assertEqual(account.vend_ids.payment_id.journal_id, self.journal)
        self.assertFalse(meters[1].account_id)
        self.assertEqual(wizard.state, 'done')
        self.assertEqual(wizard.summary, "Imported 2 rows. Meters created: 2, updated: 0. Properties created: 1. "
                                         "Concentrators created: 1. Accounts opened: 1. Opening balances topped up: "
                                         "23.11.")
        self.assertEqual(self.reconciliation_differences(), {})

    def test_xlsx_with_chinese_headers_and_number_cells(self):
        """An XLSX whose addresses, asset number and phone are number cells (leading zeros lost)
        and whose settings carry units (元): an existing concentrator gets the property."""
        header = CHINESE_HEADER.split(',')
        self.import_file(xlsx_file([
            header,
            ['田家湾未来科技城店', 'A01', 51000003, int(ASSET), 4, 9600, '奇', 100.5, 'tou', '李雷', 13900000009,
             '九环路31-1', '20元', '10元', 0, '否', 39.0],
            [],
            ['田家湾未来科技城店', 'A02', '000051000004', ASSET, None, None, None, None, None, None, None, None,
             None, None, None, None, None],
        ]), '房源.xlsx')
        area = self.env['prepaid.area'].search([('name', '=', '田家湾未来科技城店')])
        self.assertEqual(self.concentrator.area_id, area)
        meter = self.env['prepaid.meter'].search([('number', '=', '000051000003')])
        self.assertRecordValues(meter, [{'room': 'A01', 'concentrator_id': self.concentrator.id, 'rs485_port': 4,
                                         'baud': '9600', 'parity': 'odd', 'start_reading': 100.5,
                                         'auto_trip': False}])
        self.assertRecordValues(meter.account_id, [{'tariff_id': self.tariff.id, 'money_balance': 39.0,
                                                    'alarm_threshold_1': 20.0, 'alarm_threshold_2': 10.0,
                                                    'overdraft_limit': 0.0, 'area_id': area.id}])
        self.assertRecordValues(meter.account_id.partner_id, [{'name': '李雷', 'phone': '13900000009'}])
        vacant = self.env['prepaid.meter'].search([('number', '=', '000051000004')])
        self.assertRecordValues(vacant, [{'room': 'A02', 'rs485_port': 2, 'baud': '2400', 'state': 'available'}])

    def test_the_template_filled_in_imports(self):
        """The downloadable template (English headers for an English user) is a file the import reads."""
        wizard = self.env['prepaid.remote.import'].with_user(self.manager).create({'station_id': self.station.id})
        action = wizard.action_download_template()
        self.assertEqual(action['target'], 'download')
        self.assertIn(f'id={wizard.id}&field=template_file', action['url'])
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.template_file)))
        sheet = workbook.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:4], ['Property', 'Room', 'Meter Address', 'Concentrator'])
        sheet.append({1: 'Block 9', 2: '9-101', 3: '000051000009', 4: '17000509',
                      header.index('Tenant Name') + 1: 'Han Mei', header.index('Tariff') + 1: 'TOU'})
        output = io.BytesIO()
        workbook.save(output)
        self.import_file(base64.b64encode(output.getvalue()), 'template.xlsx')
        account = self.env['prepaid.meter'].search([('number', '=', '000051000009')]).account_id
        self.assertEqual((account.partner_id.name, account.area_id.name), ('Han Mei', 'Block 9'))

    def test_one_bad_row_imports_nothing_and_names_row_and_column(self):
        before = self.counts()
        data = csv_file(
            CHINESE_HEADER,
            '远洋心堡,室1,000051000001,17000501,2,2400,偶,0,TOU,合南,18958000001,,20,10,0,自动,10',
            '远洋心堡,室2,12345,17000501,2,2400,偶,0,,,,,,,,,',
            '远洋心堡,室3,000051000003,17000501,2,2400,偶,0,Night Tariff,王芳,,,,,,,',
            f'远洋心堡,室4,{METER},17000501,2,2400,偶,0,,,,,,,,,',
            '远洋心堡,室5,000051000001,17000501,2,2400,偶,0,,,,,,,,,')
        with self.assertRaises(UserError) as caught:
            self.import_file(data, 'rooms.csv')
        message = caught.exception.args[0]
        self.assertIn('Nothing was imported', message)
        self.assertIn('Row 3, column “电表地址”: “12345” is not a 12-digit meter address.', message)
        self.assertIn('Row 4, column “电价”: No tariff is named “Night Tariff”.', message)
        self.assertIn(f'Row 5, column “电表地址”: Meter {METER} is already in use by customer', message)
        self.assertIn('Row 6, column “电表地址”: Meter 000051000001 is also on row 2.', message)
        self.assertEqual(self.counts(), before)

    def test_a_bad_header_names_the_column(self):
        data = csv_file('房源,房间,电表地址,电压', '远洋心堡,室1,000051000001,220')
        with self.assertRaises(UserError) as caught:
            self.import_file(data, 'rooms.csv')
        message = caught.exception.args[0]
        self.assertIn('Column “电压” is not one this import knows.', message)
        self.assertIn('The file has no column “Concentrator”', message)

    def test_check_writes_nothing(self):
        before = self.counts()
        wizard = self.env['prepaid.remote.import'].with_user(self.manager).create({
            'file': csv_file('property,room,meter address,concentrator', 'Block 2,201,000051000020,17000520'),
            'filename': 'rooms.csv', 'station_id': self.station.id, 'meter_type_id': self.meter_type.id})
        wizard.action_check()
        self.assertEqual(wizard.state, 'checked')
        self.assertIn('Meters to create: 1, to update: 0.', wizard.summary)
        self.assertEqual(self.counts(), before)

    def test_reimport_updates_an_available_meter_and_refuses_one_in_use(self):
        """A meter released by a move-out is updated by the file (its start reading kept when the
        file gives none, so billing keeps its last registers) and the new tenant's account is
        opened on it; the same file is refused while the meter has a customer."""
        data = csv_file(
            'property,room,meter address,concentrator,port,tariff,tenant name,phone',
            f'Building 1,102,{METER},{ASSET},7,TOU,Tenant Li,13900000002')
        with self.assertRaises(UserError) as caught:
            self.import_file(data, 'rooms.csv')
        self.assertIn(f'Row 2, column “meter address”: Meter {METER} is already in use', caught.exception.args[0])
        self.account.with_user(self.manager).action_deactivate()
        self.meter.start_reading_passed = True
        self.import_file(data, 'rooms.csv')
        self.assertRecordValues(self.meter, [{'room': '102', 'rs485_port': 7, 'start_reading': 100.0,
                                              'start_reading_passed': True, 'state': 'installed'}])
        self.assertNotEqual(self.meter.account_id, self.account)
        self.assertEqual(self.meter.account_id.partner_id.name, 'Tenant Li')
        self.assertEqual(self.env['prepaid.meter'].search_count([('number', '=', METER)]), 1)

    def test_an_operator_cannot_import(self):
        with self.assertRaises(AccessError):
            self.env['prepaid.remote.import'].with_user(self.operator).create({
                'file': csv_file('property,room,meter address,concentrator', 'B,1,000051000030,17000530'),
                'filename': 'rooms.csv', 'station_id': self.station.id, 'meter_type_id': self.meter_type.id})
