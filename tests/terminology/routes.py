from tests.routes import ALL, C, P

ROUTES = {
    "terminology.list_concepts": ALL,
    "terminology.view_concept": ALL,
    "terminology.export_vocabulary": ALL,
    "terminology.create_concept": {C},
    "terminology.edit_concept": {C},
    "terminology.delete_concept": {C},
    "terminology.add_label": {C},
    "terminology.agree_label": {C},
    "terminology.delete_label": {C},
    "terminology.add_relation": {C},
    "terminology.delete_relation": {C},
    "terminology.unfound_searches": {C},
    "terminology.add_unfound_as_label": {C},
    "terminology.dismiss_unfound": {C},
    "terminology.evidence_report": {C, P},
    "terminology.import_vocabulary": {C},
    "terminology.confirm_import": {C},
}
