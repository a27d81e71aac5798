import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

// what fits a kiosk purchase: up to 6 digits, 2 decimals (the server checks the amount)
const MAX_DIGITS = 6;
const MAX_DECIMALS = 2;

/**
 * The on-screen keypad for a custom amount (the kiosk has no keyboard): digits, a decimal
 * point, delete and clear; "OK" gives the typed text to `onConfirm`.
 */
export class KioskKeypad extends Component {
    static template = "prepaid_electricity.KioskKeypad";
    static props = {
        currency: { type: String, optional: true },
        onConfirm: Function,
        onCancel: Function,
    };

    setup() {
        this.state = useState({ value: "" });
        this.keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "0", "back"];
    }

    get texts() {
        return {
            title: _t("Type the amount you want to pay."),
            back: _t("Delete the last digit"),
            clear: _t("Clear"),
            cancel: _t("Back"),
            confirm: _t("OK"),
        };
    }

    press(key) {
        const value = this.state.value;
        if (key === "back") {
            this.state.value = value.slice(0, -1);
            return;
        }
        const [whole, decimals] = (value + key).split(".");
        if (key === "." && (value.includes(".") || !value)) {
            return;
        }
        if (whole.length > MAX_DIGITS || (decimals !== undefined && decimals.length > MAX_DECIMALS)) {
            return;
        }
        this.state.value = value === "0" && key !== "." ? key : value + key;
    }

    clear() {
        this.state.value = "";
    }

    get canConfirm() {
        return Number(this.state.value) > 0;
    }

    confirm() {
        if (this.canConfirm) {
            this.props.onConfirm(this.state.value);
        }
    }
}
