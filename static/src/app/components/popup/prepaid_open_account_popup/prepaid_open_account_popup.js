import { Component, onWillStart, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { serverErrorMessage } from "@prepaid_electricity/app/utils/server_error";

/**
 * Open Account (新表开户, operators): the customer, the meter and a template of this till's
 * station; the server opens the account (or refuses, writing nothing, and the dialog says
 * why). The first purchase entered here is given back to the vending screen, which quotes it
 * and sells it like any sale; the card is issued once it is paid.
 */
export class PrepaidOpenAccountPopup extends Component {
    static template = "prepaid_electricity.PrepaidOpenAccountPopup";
    static components = { Dialog };
    static props = { getPayload: Function, close: Function };

    setup() {
        this.pos = usePos();
        this.options = { templates: [], areas: [] };
        this.state = useState({
            name: "",
            phone: "",
            address: "",
            meter_number: "",
            template_id: "",
            area_id: "",
            method: "energy",
            quantity: "",
            busy: "",
            error: "",
        });
        onWillStart(async () => {
            try {
                this.options = await this.pos.prepaidCall("prepaid_opening_options");
            } catch (error) {
                this.state.error = serverErrorMessage(error);
                return;
            }
            const template = this.options.templates.find((t) => t.is_default) || this.options.templates[0];
            this.state.template_id = template ? String(template.id) : "";
            this.onTemplateChange();
        });
    }

    /** A template brings its area. */
    onTemplateChange() {
        const template = this.options.templates.find((t) => String(t.id) === this.state.template_id);
        this.state.area_id = template?.area_id ? String(template.area_id) : "";
    }

    async confirm() {
        const state = this.state;
        state.busy = _t("Opening the account…");
        state.error = "";
        try {
            const account = await this.pos.prepaidCall("prepaid_open_account", {
                name: state.name,
                phone: state.phone,
                address: state.address,
                meter_number: state.meter_number,
                template_id: state.template_id,
                area_id: state.area_id,
            });
            this.props.getPayload({ account, method: state.method, quantity: state.quantity });
            this.props.close();
        } catch (error) {
            state.error = serverErrorMessage(error);
        } finally {
            state.busy = "";
        }
    }
}
