from tests.routes import C, F, P

ROUTES = {
    "organisations.list_organisations": {C, P},
    "organisations.show_organisation": {C, P},
    "organisations.create_organisation": {C},
    "organisations.edit_organisation": {C},
    "organisations.close_organisation": {C},
    "organisations.reopen_organisation": {C},
    "organisations.merge_organisation": {C},
    "organisations.import_upload": {C},
    "organisations.import_mapping": {C},
    "organisations.import_report": {C},
    "organisations.map_organisations": {C, P},
    "organisations.map_points": {C, P},
    "organisations.map_clusters": {C, P},
    "organisations.export_csv": {C, P},
    "organisations.api_geojson": {C, F, P},
    "organisations.api_openreferral": {C, F, P},
    "organisations.list_tokens": {C},
    "organisations.revoke_token": {C},
}
