import { Component, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { formatEnergy, formatMoney } from "@prepaid_electricity/kiosk/utils/kiosk_format";

/** The kiosk's model (see KioskModel), observed by the component. */
export function useKiosk() {
    return useState(useService("prepaid_kiosk"));
}

/** What every kiosk screen needs: the model, the server's last answer, money and energy. */
export class KioskScreen extends Component {
    static props = {};

    setup() {
        this.kiosk = useKiosk();
    }

    get server() {
        return this.kiosk.server;
    }

    get transaction() {
        return this.kiosk.transaction;
    }

    get customer() {
        return this.kiosk.server.customer;
    }

    money(value) {
        return formatMoney(value, this.kiosk.server.kiosk.currency);
    }

    energy(value) {
        return formatEnergy(value);
    }
}
