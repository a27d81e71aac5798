import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { TicketScreen } from "@point_of_sale/app/screens/ticket_screen/ticket_screen";

/**
 * Electricity is never returned at the till: the meter already has the energy, and the server
 * refuses such a refund at sync. The ticket screen does not let an electricity line be chosen
 * for a refund, so no refund order of electricity is ever made (nor left stuck in the till).
 */
patch(TicketScreen.prototype, {
    prepaidRefuseReturn() {
        this.numberBuffer.reset();
        this.dialog.add(AlertDialog, {
            title: _t("Electricity is not returnable"),
            body: _t(
                "The meter already has this energy: it cannot be returned at the Point of Sale. Use Suspend and Refund on the customer in the backend."
            ),
        });
    },
    _selectedPrepaidLine(order) {
        const lineId = this.getSelectedOrderlineId();
        return order?.lines.find((line) => line.id == lineId && line.isPrepaidElectricity);
    },
    _onUpdateSelectedOrderline() {
        if (this._selectedPrepaidLine(this.getSelectedOrder())) {
            return this.prepaidRefuseReturn();
        }
        return super._onUpdateSelectedOrderline(...arguments);
    },
    _prepareAutoRefundOnOrder(order) {
        if (this._selectedPrepaidLine(order)) {
            this.prepaidRefuseReturn();
            return false;
        }
        return super._prepareAutoRefundOnOrder(...arguments);
    },
    async onDoRefund() {
        // Only electricity chosen: no refund order at all (an empty one breaks the payment screen).
        const order = this.getSelectedOrder();
        if (
            order &&
            !this._doesOrderHaveSoleItem(order) &&
            this.getHasItemsToRefund() &&
            !this._getRefundableDetails(order.getPartner(), order).length
        ) {
            return this.prepaidRefuseReturn();
        }
        return await super.onDoRefund(...arguments);
    },
    _getRefundableDetails() {
        return super._getRefundableDetails(...arguments).filter((detail) => !detail.line.isPrepaidElectricity);
    },
});
