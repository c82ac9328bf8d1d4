from tests.routes import C, P

ROUTES = {
    "engagement.overview": {C, P},
    "engagement.gap_map_script": {C, P},
    "engagement.borough_page": {C, P},
    "engagement.outreach": {C, P},
    "engagement.outreach_csv": {C, P},
    "engagement.figures_csv": {C, P},
    "engagement.attendance_chart": {C, P},
}
