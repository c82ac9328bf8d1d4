from tests.routes import C

ROUTES = {
    "accounts.sign_in": "public",
    "accounts.sign_out": "public",
    "accounts.set_password": "public",
    "accounts.choose_password": "public",
    "accounts.request_reset": "public",
    "accounts.list_accounts": {C},
    "accounts.create_account": {C},
    "accounts.edit_account": {C},
    "accounts.issue_link": {C},
    "accounts.disable_account": {C},
    "accounts.enable_account": {C},
}
