"""SKOS in and out (rdflib): the vocabulary as a skos:ConceptScheme, local names as SKOS-XL labels.

Local preferred names need provenance and a status, which plain SKOS literals cannot carry, so each
is a `skosxl:Label` resource (URI `<concept>/local/<area>/<slug>`, area a borough code or `gm`)
linked from the concept by `gmv:localPrefLabel` (declared `rdfs:subPropertyOf skosxl:altLabel`),
with `skosxl:literalForm`, `gmv:area`, `gmv:status`, `dcterms:creator` (who proposed it),
`gmv:evidence` and `dcterms:date`. See docs/terminology.md.
"""

from __future__ import annotations

from datetime import date

from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, XSD
from sqlalchemy import select

from ..extensions import db
from . import operations
from .matching import normalise
from .models import GM_AREA, Concept, ConceptLabel, ConceptRelation, LabelKind, LabelStatus, RelationKind

SKOSXL = Namespace("http://www.w3.org/2008/05/skos-xl#")
GMV = Namespace("https://gm-vcse.example.org/ns/terminology#")
SCHEME = URIRef(operations.SCHEME_URI)
SCHEME_TITLE = "Practice areas of health and care communities of practice in Greater Manchester"
LANG = "en-GB"
FORMATS = {"turtle": ("turtle", "text/turtle", "ttl"), "json-ld": ("json-ld", "application/ld+json", "jsonld")}


def _bind(graph: Graph) -> Graph:
    graph.bind("skos", SKOS)
    graph.bind("skosxl", SKOSXL)
    graph.bind("gmv", GMV)
    graph.bind("dcterms", DCTERMS)
    return graph


def local_label_uri(concept_uri: str, label: ConceptLabel) -> URIRef:
    """Stable URI of a local label resource."""
    return URIRef(f"{concept_uri}/local/{label.area.lower()}/{operations.slugify(label.text)}")


def build_graph() -> Graph:
    """The whole vocabulary as an rdflib Graph."""
    graph = _bind(Graph())
    graph.add((SCHEME, RDF.type, SKOS.ConceptScheme))
    graph.add((SCHEME, SKOS.prefLabel, Literal(SCHEME_TITLE, lang=LANG)))
    graph.add((GMV.localPrefLabel, RDFS.subPropertyOf, SKOSXL.altLabel))
    graph.add((GMV.localPrefLabel, RDFS.label, Literal("local preferred label", lang=LANG)))
    concepts = list(db.session.scalars(select(Concept).order_by(Concept.uri)))
    for concept in concepts:
        node = URIRef(concept.uri)
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, SKOS.inScheme, SCHEME))
        if not _has_broader(concept):
            graph.add((SCHEME, SKOS.hasTopConcept, node))
        graph.add((node, SKOS.prefLabel, Literal(concept.pref_label, lang=LANG)))
        if concept.definition:
            graph.add((node, SKOS.scopeNote, Literal(concept.definition, lang=LANG)))
        for label in concept.labels:
            if label.kind == LabelKind.ALT:
                graph.add((node, SKOS.altLabel, Literal(label.text, lang=LANG)))
            elif label.kind == LabelKind.HIDDEN:
                graph.add((node, SKOS.hiddenLabel, Literal(label.text, lang=LANG)))
            else:
                _add_local(graph, node, concept, label)
    for relation in db.session.scalars(select(ConceptRelation)):
        source, target = URIRef(relation.source.uri), URIRef(relation.target.uri)
        if relation.kind == RelationKind.BROADER:
            graph.add((source, SKOS.broader, target))
            graph.add((target, SKOS.narrower, source))
        else:
            graph.add((source, SKOS.related, target))
            graph.add((target, SKOS.related, source))
    return graph


def _has_broader(concept: Concept) -> bool:
    return (
        db.session.scalar(
            select(ConceptRelation.id)
            .where(ConceptRelation.source_id == concept.id, ConceptRelation.kind == RelationKind.BROADER)
            .limit(1)
        )
        is not None
    )


def _add_local(graph: Graph, node: URIRef, concept: Concept, label: ConceptLabel) -> None:
    resource = local_label_uri(concept.uri, label)
    graph.add((node, GMV.localPrefLabel, resource))
    graph.add((resource, RDF.type, SKOSXL.Label))
    graph.add((resource, SKOSXL.literalForm, Literal(label.text, lang=LANG)))
    graph.add((resource, GMV.area, Literal(label.area)))
    graph.add((resource, GMV.status, Literal(label.status.value)))
    if label.proposed_by:
        graph.add((resource, DCTERMS.creator, Literal(label.proposed_by)))
    if label.evidence:
        graph.add((resource, GMV.evidence, Literal(label.evidence, lang=LANG)))
    if label.proposed_on:
        graph.add((resource, DCTERMS.date, Literal(label.proposed_on.isoformat(), datatype=XSD.date)))


def canonical_nt(graph: Graph) -> str:
    """Sorted N-Triples: a byte-for-byte comparable form (the vocabulary has no blank nodes)."""
    # N-Triples escapes line feeds and carriage returns inside literals, so "\n" is the only line end.
    # str.splitlines() would also split inside a term holding U+2028, U+0085, a form feed or U+001E.
    lines = graph.serialize(format="nt").split("\n")
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


def export(fmt: str = "turtle") -> str:
    """The vocabulary serialised as 'turtle' or 'json-ld'; the same data always gives the same text."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: use turtle or json-ld")
    return serialise(build_graph(), fmt)


def serialise(source: Graph, fmt: str) -> str:
    """A graph as 'turtle' or 'json-ld' text, in one order whatever order the triples came in."""
    # Re-parse sorted N-Triples so triples go in in one order whatever order the database returned.
    graph = _bind(Graph())
    graph.parse(data=canonical_nt(source), format="nt")
    if fmt == "json-ld":
        import json

        data = json.loads(graph.serialize(format="json-ld", context=_used_context(graph), auto_compact=True))
        return json.dumps(_sorted_jsonld(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return graph.serialize(format="turtle")


def _used_context(graph: Graph) -> dict[str, str]:
    """The JSON-LD @context: only the prefixes whose namespace some triple uses (rdflib binds ~30 by default)."""
    terms = {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    terms |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    terms.discard(str(RDF.type))  # written as @type, so rdf: itself is never needed
    return {
        prefix: str(namespace)
        for prefix, namespace in graph.namespaces()
        if prefix and any(term.startswith(str(namespace)) for term in terms)
    }


def _sorted_jsonld(data):
    """Sort node lists and value lists so JSON-LD output does not depend on set order."""
    if isinstance(data, list):
        items = [_sorted_jsonld(item) for item in data]
        import json

        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(data, dict):
        return {key: _sorted_jsonld(value) for key, value in data.items()}
    return data


class ImportSummary:
    def __init__(self):
        self.concepts_created = self.concepts_updated = self.labels_added = self.links_added = 0
        # For the preview shown before an import from the browser is confirmed.
        self.created_names: list[str] = []
        self.updated_names: list[str] = []
        self.label_texts: list[str] = []

    @property
    def changes(self) -> int:
        return self.concepts_created + self.concepts_updated + self.labels_added + self.links_added

    def __str__(self) -> str:
        return (
            f"{self.concepts_created} concepts created, {self.concepts_updated} updated, "
            f"{self.labels_added} labels and {self.links_added} links added"
        )


def _literal(graph: Graph, subject, predicate) -> str | None:
    values = sorted(_storable(graph, subject, str(value)) for value in graph.objects(subject, predicate))
    return values[0] if values else None


def _storable(graph: Graph, subject, value: str) -> str:
    """The one input policy (coordination/text.py): a term the database or XML could not hold is refused."""
    from ..text import problem

    message = problem("A label or note", value)
    if message:
        raise operations.TerminologyError(f"{subject}: {message}")
    return value


def import_text(text: str, fmt: str | None = None, actor=None, dry_run: bool = False) -> ImportSummary:
    """Read SKOS (Turtle, JSON-LD, RDF/XML…) and merge it into the vocabulary by concept URI.

    dry_run works the import out and rolls it back: what would change, for a preview.
    """
    graph = Graph()
    graph.parse(data=text, format=fmt or _guess_format(text))
    return import_graph(graph, actor=actor, dry_run=dry_run)


def _guess_format(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return "json-ld"
    if stripped.startswith("<?xml") or stripped.startswith("<rdf:RDF"):
        return "xml"
    return "turtle"


def import_graph(graph: Graph, actor=None, dry_run: bool = False) -> ImportSummary:
    """Merge a SKOS graph: create or update concepts by URI, add labels and links not already there."""
    summary = ImportSummary()
    by_uri: dict[str, Concept] = {c.uri: c for c in db.session.scalars(select(Concept))}
    subjects = sorted(set(graph.subjects(RDF.type, SKOS.Concept)), key=str)
    try:
        for subject in subjects:
            pref = _literal(graph, subject, SKOS.prefLabel)
            if not pref:
                raise operations.TerminologyError(f"{subject} has no skos:prefLabel")
            definition = _literal(graph, subject, SKOS.scopeNote) or _literal(graph, subject, SKOS.definition)
            concept = by_uri.get(str(subject))
            if concept is None:
                concept = Concept(uri=str(subject), pref_label=pref, definition=definition)
                db.session.add(concept)
                db.session.flush()
                by_uri[concept.uri] = concept
                summary.concepts_created += 1
                summary.created_names.append(pref)
            elif concept.pref_label != pref or (definition and concept.definition != definition):
                summary.updated_names.append(pref if concept.pref_label == pref else f"{concept.pref_label} → {pref}")
                concept.pref_label, concept.definition = pref, definition or concept.definition
                summary.concepts_updated += 1
        for subject in subjects:
            concept = by_uri[str(subject)]
            have = {(label.kind, label.area, label.normalised): label for label in concept.labels}
            for predicate, kind in ((SKOS.altLabel, LabelKind.ALT), (SKOS.hiddenLabel, LabelKind.HIDDEN)):
                for value in sorted(_storable(graph, subject, str(v)) for v in graph.objects(subject, predicate)):
                    if (kind, GM_AREA, normalise(value)) not in have:
                        label = ConceptLabel(
                            concept=concept,
                            kind=kind,
                            text=value,
                            normalised=normalise(value),
                            area=GM_AREA,
                            status=LabelStatus.AGREED,
                        )
                        db.session.add(label)
                        have[kind, GM_AREA, label.normalised] = label
                        summary.labels_added += 1
                        summary.label_texts.append(f"{value} ({concept.pref_label})")
            for resource in sorted(graph.objects(subject, GMV.localPrefLabel), key=str):
                _merge_local(graph, concept, resource, have, summary)
        _merge_links(graph, by_uri, summary)
        if dry_run:
            db.session.rollback()
            return summary
        from .. import audit

        audit.record("terminology.imported", entity_type="Concept", after={"summary": str(summary)}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


def _merge_local(graph, concept, resource, have, summary) -> None:
    text = _literal(graph, resource, SKOSXL.literalForm)
    if not text:
        return
    area = _literal(graph, resource, GMV.area) or GM_AREA
    status = LabelStatus(_literal(graph, resource, GMV.status) or "proposed")
    when = _literal(graph, resource, DCTERMS.date)
    values = dict(
        proposed_by=_literal(graph, resource, DCTERMS.creator),
        evidence=_literal(graph, resource, GMV.evidence),
        proposed_on=date.fromisoformat(when) if when else None,
        status=status,
    )
    key = (LabelKind.LOCAL, area, normalise(text))
    label = have.get(key)
    if label is None:
        label = ConceptLabel(
            concept=concept,
            kind=LabelKind.LOCAL,
            text=text,
            normalised=normalise(text),
            area=area,
            borough_code=None if area == GM_AREA else area,
            **values,
        )
        db.session.add(label)
        have[key] = label
        summary.labels_added += 1
        summary.label_texts.append(f"{text} ({concept.pref_label}, local)")
    else:
        for name, value in values.items():
            setattr(label, name, value)


def _merge_links(graph, by_uri, summary) -> None:
    existing = {(r.source_id, r.target_id, r.kind) for r in db.session.scalars(select(ConceptRelation))}
    wanted = set()
    for s, o in graph.subject_objects(SKOS.broader):
        wanted.add((str(s), str(o), RelationKind.BROADER))
    for s, o in graph.subject_objects(SKOS.narrower):
        wanted.add((str(o), str(s), RelationKind.BROADER))
    for s, o in graph.subject_objects(SKOS.related):
        a, b = sorted((str(s), str(o)))
        wanted.add((a, b, RelationKind.RELATED))
    for source_uri, target_uri, kind in sorted(wanted, key=lambda w: (w[0], w[1], w[2].value)):
        source, target = by_uri.get(source_uri), by_uri.get(target_uri)
        if source is None or target is None or source.id == target.id:
            continue
        if (source.id, target.id, kind) in existing or (
            kind == RelationKind.RELATED and (target.id, source.id, kind) in existing
        ):
            continue
        db.session.add(ConceptRelation(source_id=source.id, target_id=target.id, kind=kind))
        existing.add((source.id, target.id, kind))
        summary.links_added += 1
