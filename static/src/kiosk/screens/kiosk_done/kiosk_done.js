import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";

/** The purchase reached the customer: on the card, or on a remote meter's balance; the slip. */
export class KioskDone extends KioskScreen {
    static template = "prepaid_electricity.KioskDone";

    get texts() {
        return {
            written: _t("Thank you. Your purchase is on your card."),
            toppedUp: _t("Thank you. Your balance is topped up."),
            insertMeter: _t("Insert your card into your meter to load the electricity."),
            remoteHint: _t("The money is added to your meter's balance. There is nothing to do at the meter."),
            purchase: _t("Purchase"),
            energy: _t("Energy"),
            amount: _t("Amount paid"),
            balanceAfter: _t("Money balance after this purchase"),
            topUpBalance: _t("Balance after this top-up"),
            printing: _t("Your slip is being printed…"),
            takeBoth: _t("Please take your card and your slip."),
            takeCard: _t("Please take your card."),
            noSlip: _t("Sorry, no slip could be printed. Your purchase is recorded all the same."),
        };
    }

    /** The purchase's vend, or the re-vend's (no purchase of this visit: no slip either). */
    get vend() {
        return this.transaction?.vend || this.kiosk.revending || false;
    }

    get isTopUp() {
        return this.vend.kind === "topup";
    }

    get slip() {
        return this.transaction ? this.transaction.slip : "none";
    }

    get takeAway() {
        if (this.slip === "failed") {
            return this.texts.noSlip;
        }
        return this.slip === "queued" ? this.texts.printing : "";
    }

    /** A slip is printed, or being printed, unless the printer failed or there is none (a re-vend). */
    get farewell() {
        return ["queued", "printed"].includes(this.slip) ? this.texts.takeBoth : this.texts.takeCard;
    }
}
