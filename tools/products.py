"""The Electricity product the Point of Sale sells vends as."""


def electricity_product(env):
    """The Electricity product (product.product) of every vend sold at the POS, or an empty recordset."""
    return env.ref('prepaid_electricity.product_electricity', raise_if_not_found=False) or env['product.product']
