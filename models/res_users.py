from odoo import api, models

from ..tools import MANAGER_GROUP, OPERATOR_GROUP

# Each vending role's first screen: managers the station's dashboard, operators the tills.
HOME_ACTIONS = (
    (MANAGER_GROUP, 'prepaid_electricity.prepaid_dashboard_action'),
    (OPERATOR_GROUP, 'point_of_sale.action_pos_config_kanban'),
)


class ResUsers(models.Model):
    _inherit = 'res.users'

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._prepaid_set_home_action()
        return users

    def write(self, vals):
        result = super().write(vals)
        if 'group_ids' in vals:
            self._prepaid_set_home_action()
        return result

    def _prepaid_set_home_action(self):
        """Vending staff land in vending, not on Discuss: a user given a vending role and no
        home action of their own gets the role's. A home chosen by hand is kept, and system
        administrators keep Odoo's."""
        for user in self.filtered(lambda u: not u.share and not u.action_id and not u._is_system()):
            for group, xmlid in HOME_ACTIONS:
                if user.has_group(group):
                    action = self.env.ref(xmlid, raise_if_not_found=False)
                    if action:
                        # sudo: whoever grants the role may not write users' preferences
                        user.sudo().action_id = action.id
                    break
