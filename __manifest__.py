{
    'name': 'Prepaid Electricity Vending',
    'version': '19.0.1.0.0',
    'summary': 'Sell prepaid electricity onto IC purchase cards from the Point of Sale',
    'description': """
Prepaid electricity vending for utilities, estates and property managers: customers,
meters, tariffs (flat, tiered, time-of-use), areas, templates and stations; every vending
operation of a card-based prepaid system; postings to accounting.
""",
    'category': 'Sales/Point of Sale',
    'author': 'prepaid_electricity developers',
    'license': 'LGPL-3',
    'depends': ['point_of_sale', 'account'],
    'external_dependencies': {
        'python': ['pycryptodome', 'xlsxwriter'],
    },
    'data': [
        'security/prepaid_electricity_groups.xml',
        'security/ir.model.access.csv',
        'security/prepaid_electricity_security.xml',
        'data/ir_sequence_data.xml',
        'views/prepaid_electricity_menus.xml',
        'wizard/prepaid_station_code_change_views.xml',
        'views/prepaid_station_views.xml',
        'views/prepaid_area_views.xml',
        'views/prepaid_tariff_views.xml',
        'views/prepaid_meter_type_views.xml',
        'views/prepaid_template_views.xml',
        'views/prepaid_meter_views.xml',
        'wizard/prepaid_account_open_views.xml',
        'wizard/prepaid_vend_create_views.xml',
        'wizard/prepaid_vend_rewrite_views.xml',
        'wizard/prepaid_account_refund_views.xml',
        'wizard/prepaid_account_transfer_views.xml',
        'wizard/prepaid_meter_replace_views.xml',
        'wizard/prepaid_credit_recovery_views.xml',
        'views/prepaid_card_views.xml',
        'views/prepaid_card_bridge_views.xml',
        'views/prepaid_account_views.xml',
        'views/prepaid_vend_views.xml',
        'views/prepaid_operation_views.xml',
        'views/prepaid_electricity_menus_actions.xml',
    ],
    'demo': [
        'demo/prepaid_demo.xml',
    ],
    'assets': {
        'web.assets_tests': [
            'prepaid_electricity/static/tests/tours/**/*',
        ],
    },
    'application': True,
    'installable': True,
}
