from tests.routes import C, P

ROUTES = {
    "networks.overview": {C},
    "networks.person_ties": {C},
    "networks.organisation_ties": {C},
    "networks.record_tie": {C},
    "networks.list_ties": {C},
    "networks.delete_tie": {C},
    "networks.leave_out": {C},
    "networks.include_again": {C},
    "networks.borough_ties": {C, P},
}
