#!/usr/bin/env bash
# Regenerate i18n/prepaid_electricity.pot from the test database and merge it into
# i18n/zh_CN.po (new terms arrive untranslated: translate them before committing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
DB=${PREPAID_TEST_DB:-prepaid_test}
odoo i18n export -c "$CONF" -d "$DB" prepaid_electricity -o "$ADDON_DIR/i18n/prepaid_electricity.pot" >/dev/null 2>&1
if [ -f "$ADDON_DIR/i18n/zh_CN.po" ]; then
  msgmerge --quiet --no-fuzzy-matching --update --backup=none "$ADDON_DIR/i18n/zh_CN.po" "$ADDON_DIR/i18n/prepaid_electricity.pot"
else
  msginit --no-translator --locale=zh_CN.UTF-8 -i "$ADDON_DIR/i18n/prepaid_electricity.pot" -o "$ADDON_DIR/i18n/zh_CN.po"
fi
"$VENV/bin/python" - "$ADDON_DIR/i18n/zh_CN.po" <<'PY'
import sys, polib
po = polib.pofile(sys.argv[1])
po.save()  # polib's line wrapping, as the committed file has (msgmerge wraps differently)
print(f"zh_CN: {len(po.translated_entries())} translated, {len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy")
PY
