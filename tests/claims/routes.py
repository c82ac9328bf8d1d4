from tests.routes import C, F, U

ROUTES = {
    "claims.my_claims": {U},
    "claims.edit_profile": {U},
    "claims.new_claim": {U},
    "claims.new_on_behalf": {C},
    "claims.edit_claim": {U, C},
    "claims.autosave": {U, C},
    "claims.remove_line": {U, C},
    "claims.send_claim": {U, C},
    "claims.withdraw": {U},
    "claims.view_claim": {U, C, F},
    "claims.download_receipt": {U, C, F},
    "claims.review_queue": {C},
    "claims.decide": {C},
    "claims.dashboard": {C, F},
    "claims.edit_policy": {C},
    "claims.finance_queue": {F},
    "claims.create_batch": {F},
    "claims.view_batch": {F},
    "claims.batch_csv": {F},
    "claims.mark_batch_paid": {F},
}
