import { patch } from "@web/core/utils/patch";
import { ReceiptScreen } from "@point_of_sale/app/screens/receipt_screen/receipt_screen";
import { PrepaidCardWriteStatus } from "@prepaid_electricity/app/components/prepaid_card_write_status/prepaid_card_write_status";

patch(ReceiptScreen, {
    components: { ...ReceiptScreen.components, PrepaidCardWriteStatus },
});
