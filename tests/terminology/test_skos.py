"""SKOS out and back in: valid, complete, and export → import → export is identical."""

import json

import pytest
from rdflib import SKOS, Graph, Literal, URIRef
from sqlalchemy import select

from coordination.extensions import db
from coordination.terminology import operations
from coordination.terminology.models import Concept, ConceptLabel, ConceptRelation
from coordination.terminology.skos import GMV, SKOSXL, export, import_text

SSM = URIRef("https://gm-vcse.example.org/concepts/supported-self-management")


@pytest.fixture
def linked_vocabulary(vocabulary):
    operations.add_relation(
        vocabulary["Social prescribing"], vocabulary["Engaging people in shaping health and care"], "broader"
    )
    return vocabulary


def _empty_vocabulary():
    for model in (ConceptRelation, ConceptLabel, Concept):
        db.session.execute(db.delete(model))
    db.session.commit()


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_the_export_is_valid_skos_with_every_kind_of_label_and_link(linked_vocabulary, fmt):
    graph = Graph().parse(data=export(fmt), format=fmt)
    assert len(set(graph.subjects(None, SKOS.Concept))) == 7
    assert (SSM, SKOS.prefLabel, Literal("Supported self-management", lang="en-GB")) in graph
    assert (SSM, SKOS.altLabel, Literal("self-management support", lang="en-GB")) in graph
    assert (SSM, SKOS.hiddenLabel, Literal("self mgmt", lang="en-GB")) in graph
    assert graph.value(SSM, SKOS.scopeNote) is not None
    social = URIRef("https://gm-vcse.example.org/concepts/social-prescribing")
    engaging = URIRef("https://gm-vcse.example.org/concepts/engaging-people-in-shaping-health-and-care")
    assert (social, SKOS.broader, engaging) in graph and (engaging, SKOS.narrower, social) in graph
    local = graph.value(SSM, GMV.localPrefLabel)
    assert str(graph.value(local, SKOSXL.literalForm)) == "self-care"
    assert str(graph.value(local, GMV.area)) == "GM" and str(graph.value(local, GMV.status)) == "agreed"


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_export_import_into_an_empty_vocabulary_and_export_again_is_identical(linked_vocabulary, fmt):
    first = export(fmt)
    _empty_vocabulary()
    summary = import_text(first)
    assert summary.concepts_created == 7
    assert export(fmt) == first


def test_importing_again_merges_by_uri_and_changes_nothing(linked_vocabulary):
    first = export("turtle")
    summary = import_text(first)
    assert (summary.concepts_created, summary.labels_added, summary.links_added) == (0, 0, 0)
    assert export("turtle") == first


def test_an_import_adds_new_labels_to_existing_concepts_and_updates_local_provenance(vocabulary):
    text = export("turtle").replace(
        '"supported self-care"@en-GB', '"supported self-care"@en-GB, "expert patients"@en-GB'
    )
    text = text.replace('gmv:status "proposed"', 'gmv:status "agreed"')
    import_text(text)
    ssm = db.session.scalar(select(Concept).where(Concept.uri == str(SSM)))
    assert "expert patients" in [label.text for label in ssm.alt_labels]
    social = db.session.scalar(select(Concept).where(Concept.pref_label == "Social prescribing"))
    assert all(label.is_agreed for label in social.local_labels)


def test_a_file_that_is_not_skos_is_refused_and_changes_nothing(vocabulary):
    with pytest.raises(Exception):  # noqa: B017  (rdflib raises several kinds)
        import_text("<https://x.example/a> a <http://www.w3.org/2004/02/skos/core#Concept> .")
    assert db.session.scalar(select(db.func.count()).select_from(Concept)) == 7


def test_the_command_line_exports_and_imports(app, vocabulary, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["terminology", "export", "--format", "json-ld"])
    assert result.exit_code == 0 and json.loads(result.output)
    turtle = runner.invoke(args=["terminology", "export"]).output
    path = tmp_path / "vocabulary.ttl"
    path.write_text(turtle, encoding="utf-8")
    _empty_vocabulary()
    result = runner.invoke(args=["terminology", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "7 concepts created" in result.output
    assert runner.invoke(args=["terminology", "export"]).output == turtle
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    result = runner.invoke(args=["terminology", "import", str(bad)])
    assert result.exit_code != 0 and "Could not import" in result.output
