import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";
import { formatPreset } from "@prepaid_electricity/kiosk/utils/kiosk_format";

/**
 * Cash in: the bill acceptor takes notes (each one stacked only on the server's yes). The
 * amount inserted shows as soon as the server has it; "Buy now" buys for what was inserted,
 * "Cancel" (nothing inserted yet) ends the purchase the same way: the server decides.
 */
export class KioskCashIn extends KioskScreen {
    static template = "prepaid_electricity.KioskCashIn";

    get texts() {
        return {
            title: _t("Please insert your bank notes, one at a time."),
            accepted: _t("This kiosk accepts these notes:"),
            inserted: _t("Inserted so far"),
            chosen: _t("You chose"),
            notes: _t("Notes received"),
            noNote: _t("No note received yet."),
            autoBuy: _t("When the amount you chose is reached, your purchase is made by itself. To buy for the money inserted so far, press Buy now."),
            noChange: _t("The kiosk gives no change: a note that would go over the amount you chose is given back."),
            buy: _t("Buy now"),
            cancel: _t("Cancel"),
            stopping: _t("Thank you. The kiosk takes no more notes: your purchase is being made."),
        };
    }

    get notesAccepted() {
        return this.server.kiosk.notes.map((value) => this.money(value)).join("  ·  ");
    }

    note(value) {
        return `${this.server.kiosk.currency}${formatPreset(value)}`;
    }

    get nothingInserted() {
        return !(this.transaction.amount_inserted > 0);
    }

    buy() {
        return this.kiosk.buy();
    }
}
