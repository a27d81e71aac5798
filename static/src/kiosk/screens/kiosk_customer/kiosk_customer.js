import { useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { KioskScreen } from "@prepaid_electricity/kiosk/kiosk_hook";
import { KioskKeypad } from "@prepaid_electricity/kiosk/components/kiosk_keypad/kiosk_keypad";
import { formatPreset, formatServerDateTime } from "@prepaid_electricity/kiosk/utils/kiosk_format";

/**
 * The customer of the card in the reader: who they are (masked name), their meter, tariff,
 * balance, last purchase and every warning of the server; then, as the server allows, the
 * re-vend of a purchase that never reached the card, or the choice of an amount (presets or
 * the keypad), the server's quote for it and the ways to pay.
 */
export class KioskCustomer extends KioskScreen {
    static template = "prepaid_electricity.KioskCustomer";
    static components = { KioskKeypad };

    setup() {
        super.setup();
        this.state = useState({ choice: null, quote: null, keypad: false });
    }

    get texts() {
        return {
            welcome: _t("Welcome"),
            number: _t("Customer number"),
            meter: _t("Meter number"),
            tariff: _t("Tariff"),
            price: _t("Price"),
            balance: _t("Money balance"),
            lastPurchase: _t("Last purchase"),
            noPurchase: _t("You have not bought electricity yet."),
            notices: _t("Please note"),
            choose: _t("How much electricity do you want to buy?"),
            chooseTopUp: _t("How much money do you want to add to your balance?"),
            byMoney: _t("Buy by amount of money"),
            byEnergy: _t("Buy by energy (kWh)"),
            other: _t("Other amount"),
            cannotBuy: _t("You cannot buy electricity at this kiosk."),
            goToStation: _t("Please go to a vending station."),
            revendTitle: _t("A purchase you paid for is not on your card yet."),
            revend: _t("Write my purchase onto the card"),
            check: _t("Please check your purchase, then choose how to pay."),
            youPay: _t("You pay"),
            youGet: _t("You get"),
            balanceAfter: _t("Money balance after this purchase"),
            topUpBalance: _t("Balance after this top-up"),
            payCash: _t("Pay in cash"),
            payCard: _t("Pay by bank card"),
            change: _t("Choose another amount"),
            quoting: _t("Calculating your purchase…"),
        };
    }

    get kioskInfo() {
        return this.server.kiosk;
    }

    get lastPurchase() {
        const last = this.customer.last_purchase;
        if (!last) {
            return "";
        }
        const values = {
            name: last.name,
            date: formatServerDateTime(last.date),
            energy: this.energy(last.energy),
            amount: this.money(last.amount),
        };
        // a remote meter's purchases are top-ups: money, no energy
        return this.customer.remote
            ? _t("%(name)s on %(date)s: %(amount)s", values)
            : _t("%(name)s on %(date)s: %(energy)s for %(amount)s", values);
    }

    get waitingVendText() {
        const waiting = this.customer.waiting_vend;
        return _t("Purchase %(name)s: %(energy)s for %(amount)s. Keep your card in the reader while it is written.", {
            name: waiting.name,
            energy: this.energy(waiting.energy),
            amount: this.money(waiting.amount),
        });
    }

    get canPay() {
        return this.kioskInfo.cash || this.kioskInfo.bank_card;
    }

    preset(value) {
        return formatPreset(value);
    }

    async choose(method, quantity) {
        this.state.keypad = false;
        this.state.choice = { method, quantity };
        this.state.quote = null;
        const quote = await this.kiosk.quote(method, quantity);
        // the customer may have chosen again meanwhile: keep the quote of the last choice
        if (this.state.choice?.method === method && this.state.choice?.quantity === quantity) {
            this.state.quote = quote || null;
            if (!quote) {
                this.state.choice = null;
            }
        }
    }

    chooseOther() {
        this.state.choice = null;
        this.state.quote = null;
        this.state.keypad = true;
    }

    reset() {
        this.state.choice = null;
        this.state.quote = null;
        this.state.keypad = false;
    }

    pay(payment) {
        const { method, quantity } = this.state.choice;
        return this.kiosk.startPurchase(payment, method, quantity);
    }

    revend() {
        return this.kiosk.revend();
    }
}
