"""The vending roles' group xml ids (each implies the one before it)."""
OPERATOR_GROUP = 'prepaid_electricity.prepaid_electricity_group_operator'
MANAGER_GROUP = 'prepaid_electricity.prepaid_electricity_group_manager'
ADMIN_GROUP = 'prepaid_electricity.prepaid_electricity_group_admin'
