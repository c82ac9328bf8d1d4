"""Security review for engagement: download names are safe whatever the practice area is called."""

import pytest

from coordination.extensions import db
from tests.communities import factories as f

MANCHESTER = "E08000003"


@pytest.mark.parametrize(
    "label", ["Mental health – adults", 'Carers\' "hub" support', "Self-care 💬 groups", "Care/support\\planning"]
)
def test_the_outreach_csv_downloads_whatever_characters_the_practice_area_name_holds(app, signed_in, label):
    area = f.concept(label)
    f.organisation("Quiet Group", MANCHESTER, [area])
    db.session.commit()
    client, _ = signed_in("coordinator")
    response = client.get(f"/engagement/outreach.csv?borough={MANCHESTER}&area={area.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a header the server can send
    assert disposition.startswith("attachment;") and disposition.count('"') in (0, 2)
    assert "/" not in disposition.split("filename=")[1] and "\\" not in disposition
    assert "Quiet Group" in response.get_data(as_text=True)
