import { patch } from "@web/core/utils/patch";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    onMounted() {
        // A refund order whose lines were all removed (e.g. a refused refund of electricity)
        // has nothing to pay: Odoo's payment screen would break on its missing first line and
        // leave the till blank, even after a reload. Back to the order instead.
        const order = this.currentOrder;
        if (order?.isRefund && !order.lines.length) {
            this.pos.navigate("ProductScreen", { orderUuid: order.uuid });
            return;
        }
        return super.onMounted(...arguments);
    },
});
