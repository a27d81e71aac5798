"""Chinese PDFs: wkhtmltopdf prints zh_CN receipts and reports with a CJK font (set-up installs
fonts-wqy-microhei), so their Chinese text is in the PDF's text layer, not blank boxes.

Not asserted: Latin text and digits. Debian's wkhtmltopdf 0.12.6 draws every web font (the
reports' Lato) as outlines, so they print but are not in the text layer."""
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import polib

from odoo.tests import HttpCase, tagged

from .common import make_account

I18N = Path(__file__).resolve().parent.parent / 'i18n'
CUSTOMER = '李娜'


@tagged('post_install', '-at_install', 'prepaid_http')
class TestChinesePdf(HttpCase):
    """wkhtmltopdf fetches the report CSS from the running server: an HttpCase."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['res.lang']._activate_lang('zh_CN')
        cls.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        cls.po = polib.pofile(str(I18N / 'zh_CN.po'))
        cls.account = make_account(cls.env, '626262', '626200000001', customer=CUSTOMER)
        cls.vend = cls.account._vend('energy', Decimal('50'))

    def zh(self, msgid):
        msgstr = self.po.find(msgid).msgstr
        self.assertTrue(msgstr and msgstr != msgid, f"no zh_CN translation of {msgid!r}")
        return msgstr

    def pdf_text(self, report, ids, name):
        """Render `report` in zh_CN; return the text pdftotext finds in it. With PREPAID_PDF_DIR
        set, the PDF is kept there for a look at its pages."""
        Report = self.env['ir.actions.report'].with_context(lang='zh_CN', force_report_rendering=True)
        pdf, kind = Report._render_qweb_pdf(report, ids)
        self.assertEqual(kind, 'pdf')
        keep = os.environ.get('PREPAID_PDF_DIR')
        if keep:
            Path(keep, f'{name}.pdf').write_bytes(pdf)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, f'{name}.pdf')
            path.write_bytes(pdf)
            result = subprocess.run([shutil.which('pdftotext') or 'pdftotext', '-layout', str(path), '-'],
                                    capture_output=True, text=True, check=True)
        return result.stdout

    def test_receipt_in_chinese(self):
        text = self.pdf_text('prepaid_electricity.action_report_vend_receipt_80mm', self.vend.ids, 'receipt_zh')
        self.assertIn(CUSTOMER, text)
        self.assertIn(self.zh("Customer No."), text)
        self.assertIn(self.zh("Electricity Purchase Receipt"), text)

    def test_sales_report_in_chinese(self):
        wizard = self.env['prepaid.sales.report.print'].with_context(lang='zh_CN').create({
            'report_kind': 'daily', 'user_id': False})
        text = self.pdf_text('prepaid_electricity.action_report_sales', wizard.ids, 'sales_zh')
        self.assertIn(CUSTOMER, text)
        self.assertIn(self.zh("Daily Report"), text)

    def test_kiosk_settlement_in_chinese(self):
        """The terminal settlement's PDF (清机) prints its Chinese labels and the kiosk's name."""
        env = self.env
        cash = env['pos.payment.method'].create({'name': 'Kiosk Cash', 'journal_id': env['account.journal'].create(
            {'name': 'Kiosk Cash', 'code': 'KZCS', 'type': 'cash'}).id})
        bridge = env['prepaid.card.bridge'].create({'name': 'Kiosk PC'})
        bridge._pair(bridge.pairing_code)
        kiosk = env['pos.config'].create({
            'name': '大堂自助售电机', 'prepaid_kiosk': True, 'prepaid_bridge_id': bridge.id,
            'payment_method_ids': [(6, 0, cash.ids)], 'prepaid_kiosk_cash_method_id': cash.id})
        settlement = env['prepaid.kiosk.settlement'].create({'config_id': kiosk.id})
        text = self.pdf_text('prepaid_electricity.action_report_kiosk_settlement', settlement.ids, 'settlement_zh')
        self.assertIn('大堂自助售电机', text)
        self.assertIn(self.zh("Expected Cash"), text)
