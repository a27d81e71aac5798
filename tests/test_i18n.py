import io
from decimal import Decimal
from pathlib import Path

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

from .common import make_account

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
