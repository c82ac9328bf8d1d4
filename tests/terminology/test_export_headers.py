"""The SKOS downloads: one charset in the Content-Type, and a JSON-LD @context with only the prefixes used."""

import json


def test_the_turtle_download_names_its_charset_once(signed_in):
    client, _ = signed_in("partner")
    response = client.get("/terms/export.ttl")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"


def test_the_json_ld_context_lists_only_the_prefixes_it_uses(signed_in):
    client, _ = signed_in("coordinator")
    response = client.get("/terms/export.jsonld")
    assert response.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    data = json.loads(response.get_data(as_text=True))
    context = data["@context"]
    assert set(context) <= {"skos", "skosxl", "gmv", "dcterms", "rdfs", "xsd"}, context
    text = json.dumps({k: v for k, v in data.items() if k != "@context"})
    for prefix in context:
        assert f'"{prefix}:' in text or f"{prefix}:" in text, prefix
