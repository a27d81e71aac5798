import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** No card yet (idle), the card being read, or a card the kiosk cannot use. */
export class KioskCardScreen extends KioskScreen {
    static template = "prepaid_electricity.KioskCardScreen";
    static props = { screen: String };

    get texts() {
        return {
            insert: _t("Please insert your electricity purchase card."),
            insertHint: _t("Put the card into the card reader, chip first. The kiosk reads it by itself."),
            reading: _t("Reading your card… Please wait and do not remove it."),
            refused: _t("This card cannot be used here."),
            takeOut: _t("Please take your card out."),
        };
    }
}
