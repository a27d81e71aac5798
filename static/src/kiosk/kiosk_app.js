import { Component, onMounted, onWillUnmount } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useKiosk } from "@prepaid_electricity/kiosk/kiosk_hook";
import { KioskBankCard } from "@prepaid_electricity/kiosk/screens/kiosk_bank_card/kiosk_bank_card";
import { KioskCardScreen } from "@prepaid_electricity/kiosk/screens/kiosk_card_screen/kiosk_card_screen";
import { KioskCashIn } from "@prepaid_electricity/kiosk/screens/kiosk_cash_in/kiosk_cash_in";
import { KioskCustomer } from "@prepaid_electricity/kiosk/screens/kiosk_customer/kiosk_customer";
import { KioskDone } from "@prepaid_electricity/kiosk/screens/kiosk_done/kiosk_done";
import { KioskHeld } from "@prepaid_electricity/kiosk/screens/kiosk_held/kiosk_held";
import { KioskOutOfService } from "@prepaid_electricity/kiosk/screens/kiosk_out_of_service/kiosk_out_of_service";
import { KioskWriting } from "@prepaid_electricity/kiosk/screens/kiosk_writing/kiosk_writing";

// the component of each screen of KioskModel.screen, and whether it is told which screen it is
const SCREENS = {
    out_of_service: { component: KioskOutOfService },
    idle: { component: KioskCardScreen, withScreen: true },
    reading: { component: KioskCardScreen, withScreen: true },
    card_error: { component: KioskCardScreen, withScreen: true },
    customer: { component: KioskCustomer },
    cash_in: { component: KioskCashIn },
    bank_card: { component: KioskBankCard, withScreen: true },
    declined: { component: KioskBankCard, withScreen: true },
    voided: { component: KioskBankCard, withScreen: true },
    writing: { component: KioskWriting, withScreen: true },
    write_failed: { component: KioskWriting, withScreen: true },
    done: { component: KioskDone },
    held: { component: KioskHeld },
};

/**
 * The self-service kiosk's touch screen (controllers/kiosk.py serves it): a header with the
 * kiosk's name and the language buttons, a message band, and the screen of the moment, which
 * the model derives from the server's answers (KioskModel.screen).
 */
export class KioskApp extends Component {
    static template = "prepaid_electricity.KioskApp";
    static props = {};

    setup() {
        this.kiosk = useKiosk();
        onMounted(() => this.kiosk.run());
        onWillUnmount(() => this.kiosk.stop());
    }

    get texts() {
        return {
            subtitle: _t("Electricity self-service"),
            starting: _t("The kiosk is starting… Please wait."),
            offline: _t("The kiosk cannot reach the server at the moment. Please wait: it tries again by itself."),
            failing: _t("The kiosk has a problem at the moment. Please wait: it tries again by itself."),
        };
    }

    get screen() {
        return SCREENS[this.kiosk.screen] ? this.kiosk.screen : "loading";
    }

    get screenComponent() {
        return SCREENS[this.screen].component;
    }

    get screenProps() {
        return SCREENS[this.screen].withScreen ? { screen: this.screen } : {};
    }

    get title() {
        return this.kiosk.server?.kiosk.name || this.kiosk.info.name;
    }

    /** The installed languages, each under its own name (Odoo names them "English name / own name").
     * A language button reloads the page: not while the server cannot be reached. */
    get langs() {
        return (this.kiosk.info.langs || []).map(([code, name]) => ({
            code,
            label: name.includes(" / ") ? name.split(" / ").pop() : name.replace(/\s*\(.*\)$/, ""),
            active: code === this.kiosk.lang,
        }));
    }
}
