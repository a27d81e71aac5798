import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";

const LOCKED = () => ({
    title: _t("Electricity line"),
    body: _t("The price of electricity comes from the server's quote: remove the line and quote again."),
});

patch(PosOrderline.prototype, {
    get isPrepaidElectricity() {
        return Boolean(this.prepaid_account_id);
    },
    canBeMergedWith(orderline) {
        return !this.isPrepaidElectricity && super.canBeMergedWith(...arguments);
    },
    setQuantity(quantity, keep_price) {
        // "" clears the line (deletion); anything else would change a quoted vend.
        if (this.isPrepaidElectricity && quantity !== "" && Number(quantity) !== this.qty) {
            return LOCKED();
        }
        return super.setQuantity(...arguments);
    },
    setUnitPrice(price) {
        if (this.isPrepaidElectricity && this.price_unit && Number(price) !== this.price_unit) {
            return;
        }
        return super.setUnitPrice(...arguments);
    },
    setDiscount(discount) {
        if (this.isPrepaidElectricity) {
            return;
        }
        return super.setDiscount(...arguments);
    },
});
