import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";

const LOCKED = () => ({
    title: _t("Electricity line"),
    body: _t("The price of electricity comes from the server's quote: remove the line and quote again."),
});

/** 61 → "61", 61.5 → "61.5": energies as the operator says them. */
const kwh = (energy) => String(Number(Number(energy || 0).toFixed(2)));

patch(PosOrderline, {
    extraFields: {
        ...(PosOrderline.extraFields || {}),
        prepaid_energy_quoted: {
            model: "pos.order.line",
            name: "prepaid_energy_quoted",
            type: "float",
            local: true,
        },
    },
});

patch(PosOrderline.prototype, {
    get isPrepaidElectricity() {
        return Boolean(this.prepaid_account_id);
    },
    /** A remote account's line tops up its balance: no card to write. */
    get isPrepaidTopUp() {
        return this.prepaid_account_id?.delivery === "remote";
    },
    /** A rewrite line says what it corrects: the server's rewrite once synced, else the quote. */
    get prepaidRewrite() {
        const vend = this.prepaid_rewrite_vend_id;
        if (!vend) {
            return null;
        }
        const operation = this.prepaid_operation_id;
        const before = operation ? operation.energy_before : vend.energy_bought;
        const after = operation ? operation.energy_after : this.prepaid_energy_quoted;
        const difference = this.priceIncl;
        const energy =
            after === undefined || after === null ? `${kwh(before)} kWh` : `${kwh(before)} → ${kwh(after)} kWh`;
        const words = { sequence: vend.sequence, energy };
        return {
            // e.g. "Rewrite of purchase 2: 61 → 71 kWh, difference"
            label:
                difference < 0
                    ? _t("Rewrite of purchase %(sequence)s: %(energy)s, paid back", words)
                    : _t("Rewrite of purchase %(sequence)s: %(energy)s, difference", words),
            sequence: vend.sequence,
            energy,
            amountBefore: operation?.amount_before,
            amountAfter: operation?.amount_after,
            difference: Math.abs(difference),
            paysBack: difference < 0,
        };
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
