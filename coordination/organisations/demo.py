"""Demo organisations at real Greater Manchester postcodes; `--scale gm` adds 17,500 spread by population."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from geo.boroughs import BOROUGH_CODES, load_facts
from geo.postcodes import directory_frame, lookup_postcodes

from ..extensions import db, refresh_statistics
from ..terminology.interface import Concept
from ..timeutil import utcnow
from .map_layer import BASE_TABLES
from .models import (
    LocationStatus,
    Organisation,
    OrganisationBorough,
    OrganisationStatus,
    OrganisationType,
    organisation_practice_area,
)
from .validation import normalise_name

T = OrganisationType
# (name, type, borough code, description, practice-area keywords, operates in)
DEMO = [
    (
        "Bolton Community Food Network",
        T.REGISTERED_CHARITY,
        "E08000001",
        "Food bank and community pantry for families in Bolton.",
        ["food"],
        [],
    ),
    (
        "Farnworth Young Carers",
        T.COMMUNITY_GROUP,
        "E08000001",
        "Weekly group and trips for young carers aged 8 to 17.",
        ["carer"],
        [],
    ),
    (
        "Breightmet Men's Shed",
        T.COMMUNITY_GROUP,
        "E08000001",
        "A workshop where men meet, make and mend, reducing isolation.",
        ["isolation", "mental"],
        [],
    ),
    (
        "Bolton Deaf Voices",
        T.CHARITABLE_COMPANY,
        "E08000001",
        "Advocacy and BSL interpreting for deaf people in Bolton.",
        ["disab"],
        ["E08000002"],
    ),
    (
        "Bury Mental Health Peer Support",
        T.REGISTERED_CHARITY,
        "E08000002",
        "Peer-led support groups for people living with anxiety and depression.",
        ["mental", "peer"],
        [],
    ),
    (
        "Radcliffe Walking for Health",
        T.COMMUNITY_GROUP,
        "E08000002",
        "Free led walks for people managing long-term conditions.",
        ["physical", "self-management"],
        [],
    ),
    (
        "Ramsbottom Dementia Friends",
        T.COMMUNITY_GROUP,
        "E08000002",
        "Memory café and carers' support in Ramsbottom.",
        ["dementia", "carer"],
        [],
    ),
    (
        "Prestwich Refugee Welcome",
        T.CIC,
        "E08000002",
        "English conversation, advice and befriending for refugees.",
        ["refugee"],
        ["E08000003"],
    ),
    (
        "Manchester Social Prescribing Partnership",
        T.CHARITABLE_COMPANY,
        "E08000003",
        "Link workers connecting people with community groups and activities.",
        ["social prescribing"],
        ["E08000003", "E08000006"],
    ),
    (
        "Moss Side Community Kitchen",
        T.SOCIAL_ENTERPRISE,
        "E08000003",
        "A pay-as-you-feel café training local people in catering.",
        ["food"],
        [],
    ),
    (
        "Wythenshawe Diabetes Self-Management Group",
        T.COMMUNITY_GROUP,
        "E08000003",
        "Supported self-management sessions for people with type 2 diabetes.",
        ["self-management", "diabetes"],
        [],
    ),
    (
        "Longsight Women's Health Circle",
        T.COMMUNITY_GROUP,
        "E08000003",
        "Health conversations in Urdu, Bengali and Somali.",
        ["women", "health inequal"],
        [],
    ),
    (
        "Manchester LGBTQ+ Wellbeing",
        T.REGISTERED_CHARITY,
        "E08000003",
        "Counselling and social groups for LGBTQ+ adults.",
        ["mental", "lgbt"],
        [],
    ),
    (
        "Harpurhey Credit Union",
        T.SOCIAL_ENTERPRISE,
        "E08000003",
        "Savings, affordable loans and money advice.",
        ["money", "debt"],
        ["E08000003"],
    ),
    (
        "Oldham Carers Centre",
        T.REGISTERED_CHARITY,
        "E08000004",
        "Information, breaks and emotional support for unpaid carers.",
        ["carer"],
        [],
    ),
    (
        "Chadderton Community Garden",
        T.COMMUNITY_GROUP,
        "E08000004",
        "Growing food together and green social prescribing.",
        ["green", "food"],
        [],
    ),
    (
        "Oldham Bangladeshi Elders Association",
        T.COMMUNITY_GROUP,
        "E08000004",
        "Lunch club and health checks for older Bangladeshi residents.",
        ["older", "isolation"],
        [],
    ),
    (
        "Saddleworth Stroke Club",
        T.COMMUNITY_GROUP,
        "E08000004",
        "Peer support and exercise after stroke.",
        ["stroke", "peer"],
        [],
    ),
    (
        "Rochdale Borough Recovery Community",
        T.CIC,
        "E08000005",
        "Recovery cafés and mutual aid for people affected by addiction.",
        ["addiction", "recovery", "peer"],
        [],
    ),
    (
        "Heywood Family Hub",
        T.CHARITABLE_COMPANY,
        "E08000005",
        "Parenting support and play for families with young children.",
        ["famil", "child"],
        [],
    ),
    (
        "Middleton Good Neighbours",
        T.COMMUNITY_GROUP,
        "E08000005",
        "Volunteers who shop, phone and visit isolated older people.",
        ["isolation", "older"],
        [],
    ),
    (
        "Littleborough Pain Management Circle",
        T.COMMUNITY_GROUP,
        "E08000005",
        "Self-management group for people living with chronic pain.",
        ["self-management", "pain"],
        [],
    ),
    (
        "Rochdale Advocacy",
        T.REGISTERED_CHARITY,
        "E08000005",
        "Independent advocacy for people with learning disabilities.",
        ["learning disab", "advocacy"],
        [],
    ),
    (
        "Salford Foundation Trust",
        T.REGISTERED_CHARITY,
        "E08000006",
        "Mentoring and employment support for young people.",
        ["employ", "young"],
        [],
    ),
    (
        "Eccles Asthma Support",
        T.COMMUNITY_GROUP,
        "E08000006",
        "Breathing exercises and inhaler help for people with asthma and COPD.",
        ["respiratory", "self-management"],
        [],
    ),
    (
        "Little Hulton Big Local",
        T.COMMUNITY_GROUP,
        "E08000006",
        "Resident-led projects funded for ten years.",
        ["community"],
        [],
    ),
    (
        "Salford Sight Loss Network",
        T.CHARITABLE_COMPANY,
        "E08000006",
        "Support, equipment and clubs for people with sight loss.",
        ["sensory", "disab"],
        ["E08000009"],
    ),
    (
        "Stockport Homes Community Fund",
        T.STATUTORY_BODY,
        "E08000007",
        "Small grants for tenant-led community activity.",
        ["community", "housing"],
        [],
    ),
    (
        "Brinnington Youth Zone",
        T.REGISTERED_CHARITY,
        "E08000007",
        "Youth club, sport and arts for 8 to 19 year olds.",
        ["young"],
        [],
    ),
    (
        "Marple Cancer Support Group",
        T.COMMUNITY_GROUP,
        "E08000007",
        "Peer support for people living with and beyond cancer.",
        ["cancer", "peer"],
        [],
    ),
    (
        "Stockport Mental Health Carers",
        T.COMMUNITY_GROUP,
        "E08000007",
        "Monthly meetings for families supporting someone with mental ill health.",
        ["mental", "carer"],
        [],
    ),
    (
        "Ashton Pioneer Homes Tenants",
        T.COMMUNITY_GROUP,
        "E08000008",
        "Tenants' association running a community centre.",
        ["housing", "community"],
        [],
    ),
    (
        "Hyde Bangladeshi Welfare Association",
        T.REGISTERED_CHARITY,
        "E08000008",
        "Advice, interpreting and wellbeing classes.",
        ["advice", "health inequal"],
        [],
    ),
    (
        "Stalybridge Parkinson's Group",
        T.COMMUNITY_GROUP,
        "E08000008",
        "Exercise, speech sessions and carers' coffee mornings.",
        ["parkinson", "self-management"],
        [],
    ),
    (
        "Tameside Food Partnership",
        T.SOCIAL_ENTERPRISE,
        "E08000008",
        "Surplus food redistribution to 30 community pantries.",
        ["food"],
        ["E08000008", "E08000004"],
    ),
    (
        "Trafford Domestic Abuse Services",
        T.REGISTERED_CHARITY,
        "E08000009",
        "Refuge, outreach and children's support.",
        ["domestic abuse"],
        [],
    ),
    (
        "Partington Community Pantry",
        T.COMMUNITY_GROUP,
        "E08000009",
        "Low-cost food club with cooking sessions.",
        ["food"],
        [],
    ),
    (
        "Sale Long Covid Support",
        T.COMMUNITY_GROUP,
        "E08000009",
        "Peer support and pacing advice for people with long covid.",
        ["long covid", "self-management"],
        [],
    ),
    (
        "Stretford Public Hall CIC",
        T.CIC,
        "E08000009",
        "Community-owned hall with arts, advice and events.",
        ["community", "arts"],
        [],
    ),
    (
        "Wigan Youth Zone",
        T.REGISTERED_CHARITY,
        "E08000010",
        "Sport, arts and mentoring for young people.",
        ["young"],
        [],
    ),
    (
        "Leigh Carers Café",
        T.COMMUNITY_GROUP,
        "E08000010",
        "A friendly café for unpaid carers to meet and get advice.",
        ["carer"],
        [],
    ),
    (
        "Ince Community Allotments",
        T.COMMUNITY_GROUP,
        "E08000010",
        "Shared allotments for wellbeing and fresh food.",
        ["green", "food"],
        [],
    ),
    (
        "Wigan Borough Heart Support",
        T.COMMUNITY_GROUP,
        "E08000010",
        "Cardiac rehabilitation exercise and peer support.",
        ["heart", "self-management"],
        [],
    ),
    (
        "Atherton Money Matters",
        T.SOCIAL_ENTERPRISE,
        "E08000010",
        "Benefits and debt advice in community venues.",
        ["money", "debt"],
        [],
    ),
]
# Based outside Greater Manchester but working in it: (name, type, postcode, description, keywords, operates in).
OUTSIDE = [
    (
        "Cheshire and Warrington Carers Trust",
        T.REGISTERED_CHARITY,
        "WA1 1UH",
        "Carers' breaks and advice, also working across Trafford and Stockport.",
        ["carer"],
        ["E08000009", "E08000007"],
    ),
    (
        "Lancashire Mind Partnership",
        T.CHARITABLE_COMPANY,
        "PR1 2HE",
        "Mental health courses delivered in Wigan and Bolton.",
        ["mental"],
        ["E08000010", "E08000001"],
    ),
    (
        "Peak District Walking Charity",
        T.REGISTERED_CHARITY,
        "SK17 6AN",
        "Guided countryside walks for people from Tameside and Stockport.",
        ["green", "physical"],
        ["E08000008", "E08000007"],
    ),
    (
        "West Yorkshire Refugee Network",
        T.CIC,
        "HX1 1BE",
        "Based in Halifax; runs drop-ins in Rochdale and Oldham.",
        ["refugee"],
        [],
    ),
]
NO_POSTCODE = [
    (
        "Greater Manchester Lived Experience Panel",
        T.COMMUNITY_GROUP,
        "An online panel of people with lived experience who advise services.",
        ["peer", "lived experience"],
        list(BOROUGH_CODES),
    ),
    (
        "Friends of the Rochdale Canal",
        T.COMMUNITY_GROUP,
        "Volunteers who clear towpaths and run wellbeing walks.",
        ["green"],
        ["E08000005", "E08000004"],
    ),
]
FORMS = ["Group", "Network", "Project", "Trust", "Association", "Hub", "Club", "Partnership", "Forum", "Circle"]
THEMES = [
    ("Food", "food"),
    ("Carers", "carer"),
    ("Mental Health", "mental"),
    ("Youth", "young"),
    ("Dementia", "dementia"),
    ("Wellbeing", "self-management"),
    ("Recovery", "recovery"),
    ("Older People's", "older"),
    ("Disability", "disab"),
    ("Refugee", "refugee"),
    ("Arts", "arts"),
    ("Green Spaces", "green"),
    ("Money Advice", "money"),
    ("Family", "famil"),
    ("Sports", "physical"),
]
PLACES = {
    "E08000001": ["Bolton", "Farnworth", "Horwich", "Westhoughton", "Little Lever", "Breightmet", "Kearsley"],
    "E08000002": ["Bury", "Radcliffe", "Prestwich", "Whitefield", "Ramsbottom", "Tottington"],
    "E08000003": [
        "Manchester",
        "Wythenshawe",
        "Moss Side",
        "Longsight",
        "Gorton",
        "Harpurhey",
        "Chorlton",
        "Ancoats",
        "Levenshulme",
        "Didsbury",
    ],
    "E08000004": ["Oldham", "Chadderton", "Royton", "Shaw", "Failsworth", "Saddleworth", "Lees"],
    "E08000005": ["Rochdale", "Heywood", "Middleton", "Littleborough", "Milnrow", "Wardle"],
    "E08000006": ["Salford", "Eccles", "Swinton", "Walkden", "Irlam", "Pendleton", "Little Hulton"],
    "E08000007": ["Stockport", "Marple", "Cheadle", "Bramhall", "Hazel Grove", "Reddish", "Brinnington"],
    "E08000008": ["Ashton", "Hyde", "Stalybridge", "Denton", "Droylsden", "Dukinfield", "Mossley"],
    "E08000009": ["Trafford", "Sale", "Altrincham", "Stretford", "Urmston", "Partington", "Old Trafford"],
    "E08000010": ["Wigan", "Leigh", "Atherton", "Hindley", "Ince", "Standish", "Ashton-in-Makerfield", "Golborne"],
}
_TYPES = (
    [T.REGISTERED_CHARITY] * 4 + [T.COMMUNITY_GROUP] * 4 + [T.CHARITABLE_COMPANY, T.CIC, T.SOCIAL_ENTERPRISE, T.OTHER]
)


def _postcodes_by_borough() -> dict[str, list[str]]:
    """Real postcodes with a location in each borough (from the postcode directory)."""
    frame = directory_frame(["B", "M", "O", "S", "W"])
    frame = frame[frame["district_code"].isin(BOROUGH_CODES) & frame["easting"].notna()]
    out = {}
    for code, group in frame.groupby("district_code"):
        keys = sorted(group.index)
        out[code] = [f"{k[:-3]} {k[-3:]}" for k in keys]
    return out


# Which of the starting practice areas each demo topic belongs to (names as the terminology seed has them).
PRACTICE_AREA_FOR_TOPIC = {
    "peer": "Peer support",
    "recovery": "Peer support",
    "lived experience": "Peer support",
    "mental": "Peer support",
    "cancer": "Peer support",
    "stroke": "Peer support",
    "self-management": "Supported self-management",
    "diabetes": "Supported self-management",
    "pain": "Supported self-management",
    "respiratory": "Supported self-management",
    "physical": "Supported self-management",
    "carer": "Care and support planning",
    "dementia": "Care and support planning",
    "disab": "Care and support planning",
    "learning disab": "Care and support planning",
    "advice": "Person-centred information and helplines",
    "money": "Person-centred information and helplines",
    "advocacy": "Person-centred information and helplines",
    "refugee": "Person-centred information and helplines",
    "community": "Engaging people in shaping health and care",
    "women": "Engaging people in shaping health and care",
    "health inequal": "Engaging people in shaping health and care",
    "housing": "Engaging people in shaping health and care",
    "young": "Engaging people in shaping health and care",
    "social prescribing": "Social prescribing",
    "green": "Social prescribing",
    "isolation": "Social prescribing",
    "food": "Social prescribing",
    "arts": "Social prescribing",
    "older": "Social prescribing",
    "employ": "Demonstrating impact",
    "famil": "Care and support planning",
}


def _concepts_for(keywords: list[str], concepts: list[tuple[int, str]]) -> list[int]:
    """Practice-area concept ids for a demo organisation's topics (none when the vocabulary is absent)."""
    by_name = {label.lower(): cid for cid, label in concepts}
    found = []
    for keyword in keywords:
        cid = by_name.get(PRACTICE_AREA_FOR_TOPIC.get(keyword, "").lower())
        if cid is not None and cid not in found:
            found.append(cid)
    return found[:3]


def _contact(rng: random.Random, name: str) -> dict:
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
    return {
        "website": f"https://www.{slug}.org.uk" if rng.random() < 0.7 else None,
        "email": f"hello@{slug}.org.uk" if rng.random() < 0.8 else None,
        "phone": f"0161 496 {rng.randint(0, 999):04d}"[:13] if rng.random() < 0.6 else None,
    }


GM_SCALE = 17500
DEMO_GENERATED = 1000


def seed(scale: str | None) -> str | None:
    """Add the demo directory (skipped when organisations exist); 'gm' adds 17,500 more."""
    if db.session.scalar(select(func.count()).select_from(Organisation)):
        return "organisations already present; nothing added"
    rng = random.Random(2026)
    concepts = [(cid, label) for cid, label in db.session.execute(select(Concept.id, Concept.pref_label))]
    by_borough = _postcodes_by_borough()
    records = []
    today = date.today()
    charity = 1100000
    for name, kind, borough, description, keywords, operates in DEMO:
        postcode = rng.choice(by_borough[borough])
        records.append(
            dict(
                name=name,
                org_type=kind,
                description=description,
                postcode_text=postcode,
                operates_in=operates or [borough],
                concepts=_concepts_for(keywords, concepts),
            )
        )
    for name, kind, postcode, description, keywords, operates in OUTSIDE:
        records.append(
            dict(
                name=name,
                org_type=kind,
                description=description,
                postcode_text=postcode,
                operates_in=operates,
                concepts=_concepts_for(keywords, concepts),
            )
        )
    for name, kind, description, keywords, operates in NO_POSTCODE:
        records.append(
            dict(
                name=name,
                org_type=kind,
                description=description,
                postcode_text="",
                operates_in=operates,
                concepts=_concepts_for(keywords, concepts),
            )
        )
    for index, record in enumerate(records):
        if record["org_type"] in (T.REGISTERED_CHARITY, T.CHARITABLE_COMPANY):
            charity += rng.randint(100, 9000)
            record["charity_number"] = str(charity)
        if record["org_type"] in (T.CIC, T.CHARITABLE_COMPANY):
            record["company_number"] = f"{9000000 + index * 7919:08d}"
        record.update(_contact(rng, record["name"]))
        record["last_checked_on"] = today - timedelta(days=rng.choice([10, 40, 120, 200, 300, 500]))
    created = _insert(records)
    # Enough generated organisations for maps and figures to rise above the small-number rule;
    # at Greater Manchester scale, the directory reaches 17,500 in all.
    generated = seed_gm(GM_SCALE - created if scale == "gm" else DEMO_GENERATED)
    refresh_statistics(*BASE_TABLES)  # SQLite's planner has no statistics until ANALYZE runs
    return f"{created} described organisations and {generated:,} generated across the boroughs"


def _insert(records: list[dict]) -> int:
    """Geocode in bulk and insert; returns the count."""
    if not records:
        return 0
    texts = [r["postcode_text"] for r in records]
    frame = lookup_postcodes(texts)
    now = utcnow()
    rows = []
    for record, text, postcode, found, lat, lon, district, borough in zip(
        records,
        texts,
        frame["postcode"],
        frame["found"],
        frame["latitude"],
        frame["longitude"],
        frame["district_code"],
        frame["borough_code"],
    ):
        if not text:
            status = LocationStatus.NO_POSTCODE
        elif not found or lat is None:
            status = LocationStatus.UNKNOWN_POSTCODE
        else:
            status = LocationStatus.LOCATED if borough else LocationStatus.OUTSIDE_GM
        located = status in (LocationStatus.LOCATED, LocationStatus.OUTSIDE_GM)
        rows.append(
            {
                "name": record["name"],
                "normalised_name": normalise_name(record["name"]),
                "description": record.get("description"),
                "org_type": record["org_type"],
                "charity_number": record.get("charity_number"),
                "company_number": record.get("company_number"),
                "website": record.get("website"),
                "email": record.get("email"),
                "phone": record.get("phone"),
                "address": record.get("address"),
                "postcode": postcode if text else None,
                "latitude": lat if located else None,
                "longitude": lon if located else None,
                "borough_code": borough if located else None,
                "district_code": district if located else None,
                "location_status": status,
                "status": OrganisationStatus.ACTIVE,
                "last_checked_on": record.get("last_checked_on"),
                "created_at": now,
                "updated_at": now,
            }
        )
    ids = []
    for start in range(0, len(rows), 2000):
        result = db.session.execute(
            insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True), rows[start : start + 2000]
        )
        ids += [row[0] for row in result]
    boroughs = [
        {"organisation_id": oid, "borough_code": code}
        for oid, record in zip(ids, records)
        for code in sorted(set(record.get("operates_in") or []))
    ]
    concepts = [
        {"organisation_id": oid, "concept_id": cid}
        for oid, record in zip(ids, records)
        for cid in record.get("concepts") or []
    ]
    if boroughs:
        db.session.execute(insert(OrganisationBorough), boroughs)
    if concepts:
        db.session.execute(insert(organisation_practice_area), concepts)
    db.session.commit()
    return len(ids)


def generate_gm(count: int, seed_value: int = 17500) -> list[dict]:
    """Believable records spread over the boroughs by 2021 population, at real postcodes (not saved)."""
    rng = random.Random(seed_value)
    facts = load_facts().set_index("code")
    population = facts["population"].astype(float)
    weights = population / population.sum()
    by_borough = _postcodes_by_borough()
    concepts = [(cid, label) for cid, label in db.session.execute(select(Concept.id, Concept.pref_label))]
    records = []
    codes = list(weights.index)
    chosen = rng.choices(codes, weights=list(weights), k=count)
    seen_names: dict[str, int] = {}
    for index, borough in enumerate(chosen):
        theme, keyword = rng.choice(THEMES)
        place = rng.choice(PLACES[borough])
        name = f"{place} {theme} {rng.choice(FORMS)}"
        seen_names[name] = seen_names.get(name, 0) + 1
        if seen_names[name] > 1:
            name = f"{name} {seen_names[name]}"
        kind = rng.choice(_TYPES)
        record = {
            "name": name,
            "org_type": kind,
            "postcode_text": rng.choice(by_borough[borough]),
            "description": f"{theme} activities for people in {place}, run by local volunteers.",
            "operates_in": [borough] + ([rng.choice(codes)] if rng.random() < 0.2 else []),
            "concepts": _concepts_for([keyword], concepts),
            "last_checked_on": date.today() - timedelta(days=rng.randint(0, 900)),
            **_contact(rng, name),
        }
        if kind in (T.REGISTERED_CHARITY, T.CHARITABLE_COMPANY):
            record["charity_number"] = str(2000000 + index)
        if kind in (T.CIC, T.CHARITABLE_COMPANY):
            record["company_number"] = f"{20000000 + index:08d}"
        records.append(record)
    return records


def seed_gm(count: int = 17500) -> int:
    """Insert `count` generated organisations in bulk."""
    return _insert(generate_gm(count))
