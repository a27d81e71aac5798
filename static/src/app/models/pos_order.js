import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";

patch(PosOrder.prototype, {
    /** An order selling electricity: its ticket is a vending receipt, its customer the account's. */
    get hasPrepaidElectricity() {
        return this.lines.some((line) => line.isPrepaidElectricity);
    },
});
