import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polib
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import CodeTranslations, trans_export

from .common import PrepaidCommon, make_account

I18N = Path(__file__).resolve().parent.parent / 'i18n'


@tagged('post_install', '-at_install')
class TestTranslations(TransactionCase):
    """Our first users work in Chinese: the template is current and zh_CN is complete."""

    def test_pot_is_current(self):
        buffer = io.BytesIO()
        trans_export(None, ['prepaid_electricity'], buffer, 'po', self.env)
        exported = {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}
        committed = {entry.msgid for entry in polib.pofile(str(I18N / 'prepaid_electricity.pot'))}
        self.assertEqual(exported - committed, set(), "run scripts/i18n.sh: the .pot misses these terms")
        self.assertEqual(committed - exported, set(), "run scripts/i18n.sh: the .pot has stale terms")

    def test_zh_cn_complete(self):
        pot = {entry.msgid for entry in polib.pofile(str(I18N / 'prepaid_electricity.pot'))}
        po = polib.pofile(str(I18N / 'zh_CN.po'))
        translated = {entry.msgid for entry in po.translated_entries() if 'fuzzy' not in entry.flags}
        self.assertEqual(pot - translated, set(), "untranslated terms in i18n/zh_CN.po")

    def test_refusal_reaches_the_user_in_chinese(self):
        """A refusal raised by the plain-Python engine is shown translated."""
        self.env['res.lang']._activate_lang('zh_CN')
        self.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        po = polib.pofile(str(I18N / 'zh_CN.po'))
        source = "Enter an energy or an amount above zero."
        expected = po.find(source).msgstr
        account = make_account(self.env, '808080', '808000000001').with_context(lang='zh_CN')
        with self.assertRaises(Exception) as error:
            account._quote('energy', Decimal('0'))
        self.assertEqual(error.exception.args[0], expected)


    def test_every_engine_refusal_is_translated(self):
        """A card or tariff refusal is translated like a vend refusal (one place does it)."""
        self.env['res.lang']._activate_lang('zh_CN')
        self.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        po = polib.pofile(str(I18N / 'zh_CN.po'))
        zh = self.env(context=dict(self.env.context, lang='zh_CN'))
        with self.assertRaises(UserError) as error:
            zh['prepaid.card']._decode(b'\xff' * 256)
        self.assertEqual(error.exception.args[0], po.find("This is a blank card: it holds no customer.").msgstr)
        with self.assertRaises(ValidationError) as error:
            zh['prepaid.tariff'].create({'name': 'Bad', 'price': -1})
        self.assertEqual(error.exception.args[0], po.find(
            "A price cannot be negative (%(what)s: %(price)s).").msgstr % {'what': 'price', 'price': '-1.0000'})

@tagged('post_install', '-at_install')
class TestMeaningsInChinese(PrepaidCommon):
    """A short English word used in two meanings gets one translation per .po (Odoo has no
    msgctxt), so each meaning has its own English term; what the Chinese user reads is right."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['res.lang']._activate_lang('zh_CN')
        cls.env['ir.module.module']._load_module_terms(['prepaid_electricity'], ['zh_CN'], overwrite=True)
        cls.zh = cls.env(context=dict(cls.env.context, lang='zh_CN'))

    def label(self, model, field, value=None):
        """The field's label, or the label of one of its selection values, in zh_CN."""
        description = self.zh[model].fields_get([field])[field]
        return description['string'] if value is None else dict(description['selection'])[value]

    def web_term(self, source):
        """The zh_CN translation the POS and backend scripts get for `source` (read afresh)."""
        messages = CodeTranslations().get_web_translations('prepaid_electricity', 'zh_CN')['messages']
        return {message['id']: message['string'] for message in messages}[source]

    def test_vending_dialog_close_does_not_read_close_account(self):
        self.assertEqual(self.web_term('Close'), '关闭')
        self.assertEqual(self.label('prepaid.operation', 'kind', 'close'), '销户')

    def test_quote_reads_trial_calculation(self):
        self.assertEqual(self.web_term('Quote'), '试算')
        for view in ('prepaid_vend_create_view_form', 'prepaid_vend_rewrite_view_form',
                     'prepaid_account_open_view_form'):
            with self.subTest(view=view):
                view = self.env.ref(f'prepaid_electricity.{view}')
                arch = etree.fromstring(self.zh[view.model].get_view(view.id)['arch'])
                self.assertEqual(arch.xpath("//group[@name='quote']/@string"), ['试算'])

    def test_labels_of_one_meaning(self):
        """Labels that shared a term with another meaning."""
        cases = [
            (('prepaid.card', 'card_type', 'purchase'), '购电卡'),             # not the purchase (购电)
            (('prepaid.sales.report', 'operation_id'), '客户操作'),           # a record, not a kind
            (('prepaid.sales.report', 'sale_count'), '售电笔数'),             # a count, not the Sales filter
            (('prepaid.sales.report', 'refund_count'), '退费笔数'),
            (('prepaid.reconciliation.report', 'vend_amount'), '售电金额'),   # an amount, not the records
            (('prepaid.reconciliation.report', 'payment_amount'), '收付款金额'),
            (('prepaid.card.writeback', 'meter_status'), '电表状态'),
            (('prepaid.tariff', 'kind'), '电价类型'),
        ]
        for args, expected in cases:
            with self.subTest(args=args):
                self.assertEqual(self.label(*args), expected)

    def test_sales_xlsx_columns_in_chinese(self):
        """The daily XLSX: the column over 售电/退费 reads 类型 (not 电价类型), the payment
        column 付款方式."""
        with freeze_time(datetime(2025, 3, 10, 4, 0)):
            account = self.open_account()
            self.insert_card(account)
        with freeze_time(datetime(2025, 3, 10, 5, 0)):    # the refund after the sale
            self.env['prepaid.account.refund'].with_user(self.manager).create({
                'account_id': account.id, 'refund_energy': 10}).action_confirm()
        self.env.flush_all()
        wizard = self.env['prepaid.sales.report.print'].with_user(self.manager).with_context(lang='zh_CN').create(
            {'report_kind': 'daily', 'date': '2025-03-10'})
        book = openpyxl.load_workbook(io.BytesIO(wizard._render_xlsx()))
        header, *body = [list(row) for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        kind_column = header.index('类型')
        self.assertEqual([row[kind_column] for row in body[:-1]], ['售电', '退费'])
        self.assertIn('付款方式', header)
        self.assertNotIn('电价类型', header)

    def test_reconciliation_source_in_chinese(self):
        self.open_account()
        self.env.flush_all()
        [row] = self.env['prepaid.reconciliation.report'].search([])
        self.assertEqual(self.label('prepaid.reconciliation.report', 'source', row.source), '后台')

    def test_tracked_selection_shown_in_readers_language(self):
        """The card bridge and crons write in English, a Chinese office in Chinese: the chatter
        shows a tracked state in the language of whoever reads it."""
        account = self.open_account()
        self.env.cr.flush()  # as at commit: tracking messages are made by the precommit hooks
        account.with_user(self.manager).with_context(lang='en_US').action_deactivate()
        self.env.cr.flush()
        account.with_user(self.manager).with_context(lang='zh_CN').action_reactivate()
        self.env.cr.flush()

        def shown(lang):
            trackings = account.message_ids.sudo().tracking_value_ids.filtered(lambda t: t.field_id.name == 'state')
            return sorted((value['fieldInfo']['changedField'], value['oldValue'], value['newValue'])
                          for value in trackings.with_context(lang=lang)._tracking_value_format())

        self.assertEqual(shown('zh_CN'), [('状态', '已注销', '有效'), ('状态', '有效', '已注销')])
        self.assertEqual(shown('en_US'), [('State', 'Active', 'Deactivated'), ('State', 'Deactivated', 'Active')])
