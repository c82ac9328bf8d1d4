"""The disclosure module: primary and secondary suppression checked by an independent attacker."""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from coordination import disclosure as d
from coordination.disclosure import TOTAL, Cell, Relation
from tests import attacker

small_heavy = st.sampled_from([0, 0, 1, 2, 3, 4, 1, 2, 5, 6, 7, 9, 12, 30])


def published(protection) -> dict:
    """What a reader sees: a number, "fewer than 5" or "not shown"."""
    return {
        k: c.value if not c.hidden else (attacker.SMALL if c.reason == d.SMALL else attacker.NOT_SHOWN)
        for k, c in protection.cells.items()
    }


def table_relations(rows, columns, row_totals=True, column_totals=True, grand=True) -> list:
    """Written here, independently of disclosure.table_problem: the sums a reader of the table knows."""
    relations = []
    if row_totals:
        relations += [({(r, TOTAL): 1, **{(r, c): -1 for c in columns}}, "==", 0) for r in rows]
    if column_totals:
        relations += [({(TOTAL, c): 1, **{(r, c): -1 for r in rows}}, "==", 0) for c in columns]
    if grand and column_totals:
        relations.append(({(TOTAL, TOTAL): 1, **{(TOTAL, c): -1 for c in columns}}, "==", 0))
    if grand and row_totals:
        relations.append(({(TOTAL, TOTAL): 1, **{(r, TOTAL): -1 for r in rows}}, "==", 0))
    return relations


def margins(counts):
    rows = list(counts)
    columns = list(next(iter(counts.values())))
    return (
        {r: sum(counts[r].values()) for r in rows},
        {c: sum(counts[r][c] for r in rows) for c in columns},
        sum(sum(v.values()) for v in counts.values()),
    )


def test_counts_of_one_to_four_are_fewer_than_5_and_zero_and_five_are_shown():
    result = d.protect({"a": 0, "b": 1, "c": 4, "d": 5, "e": 123})
    assert [result[k].display() for k in "abcde"] == ["0", "fewer than 5", "fewer than 5", "5", "123"]
    assert result.primary == {"b", "c"} and not result.secondary


def test_a_shown_total_forces_a_second_cell_to_be_hidden_and_it_is_the_smallest():
    # Oldham's case: the total and all but one borough shown would give the hidden one by subtraction.
    values = {"bolton": 40, "bury": 9, "oldham": 3, "wigan": 7, "gm": 59}
    result = d.protect(values, [Relation.total("gm", ["bolton", "bury", "oldham", "wigan"])], cost={"gm": 1000})
    assert result.primary == {"oldham"}
    assert result.secondary == {"wigan"}
    assert result["gm"].display() == "59" and result["wigan"].display() == "not shown"
    relations = [({"gm": 1, "bolton": -1, "bury": -1, "oldham": -1, "wigan": -1}, "==", 0)]
    assert attacker.leaks(published(result), relations, values) == []


def test_without_secondary_suppression_the_attacker_finds_the_hidden_count():
    # The check of the checker: primary suppression alone is broken by subtraction.
    relations = [({"gm": 1, "a": -1, "b": -1}, "==", 0)]
    assert attacker.leaks({"a": attacker.SMALL, "b": 9, "gm": 12}, relations)


def test_a_hidden_cell_of_five_or_more_is_never_pinned():
    # a (3) and b (5) hidden: a + b = 8 with a in 1..4 leaves b in 5..7, not pinned.
    values = {"a": 3, "b": 5, "t": 8}
    result = d.protect(values, [Relation.total("t", ["a", "b"])])
    assert result.primary == {"a"}
    rel = [({"t": 1, "a": -1, "b": -1}, "==", 0)]
    assert attacker.leaks(published(result), rel, values) == []


def test_when_the_companion_would_pin_the_small_cell_the_total_is_hidden_too():
    # a = 2, b = 4 both small, t = 6 shown: a + b = 6 gives a ≥ 2. The total must go.
    values = {"a": 2, "b": 4, "t": 6}
    result = d.protect(values, [Relation.total("t", ["a", "b"])])
    assert result.secondary == {"t"}
    rel = [({"t": 1, "a": -1, "b": -1}, "==", 0)]
    assert attacker.leaks(published(result), rel, values) == []


def test_zeros_are_never_hidden_to_protect_another_cell():
    values = {"a": 3, "z": 0, "b": 8, "t": 11}
    result = d.protect(values, [Relation.total("t", ["a", "z", "b"])])
    assert result["z"].display() == "0" and result.secondary == {"b"}


def test_cells_the_viewer_knows_exactly_are_shown_and_count_as_known():
    # The partner's own borough (2) is shown in full; the other small one (3) must still be protected.
    values = {"own": 2, "other": 3, "third": 20, "gm": 25}
    result = d.protect(values, [Relation.total("gm", ["own", "other", "third"])], exact={"own"}, cost={"gm": 1000})
    assert result["own"].display() == "2"
    assert result["other"].hidden and result["third"].hidden and not result["gm"].hidden
    rel = [({"gm": 1, "own": -1, "other": -1, "third": -1}, "==", 0)]
    assert attacker.leaks(published(result), rel, values) == []


def test_a_complement_counts_as_a_relation():
    # directory − engaged = never engaged: 91 − 87 = 4 unless something else is hidden.
    values = {"directory": 91, "engaged": 4, "never": 87}
    result = d.protect(values, [Relation.difference("never", "directory", "engaged")])
    assert result["engaged"].hidden and (result["directory"].hidden or result["never"].hidden)
    rel = [({"never": 1, "directory": -1, "engaged": 1}, "==", 0)]
    assert attacker.leaks(published(result), rel, values) == []


def test_an_inequality_can_give_a_small_cell_away_and_is_protected_against():
    # all time ≥ 2025 + 2024: with all time 8 and 2024 = 5 shown, 2025 ≤ 3 – below 4.
    values = {"y2025": 3, "y2024": 5, "all": 8}
    result = d.protect(values, [Relation.sum_at_most(["y2025", "y2024"], "all")])
    rel = [({"y2025": 1, "y2024": 1, "all": -1}, "<=", 0)]
    assert attacker.leaks(published(result), rel, values) == []
    assert result.secondary


def test_a_small_cell_the_viewer_can_work_out_from_what_they_know_anyway_is_shown():
    # The viewer knows their own figure and the total, so hiding the other one would protect nothing.
    values = {"own_a": 10, "other": 3, "total": 13}
    result = d.protect(values, [Relation.total("total", ["own_a", "other"])], exact={"own_a", "total"})
    assert result["other"].display() == "3" and not result.hidden


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([1, -1, 2]), st.booleans(), st.integers(1, 9)), min_size=1, max_size=4),
    st.integers(0, 3),
    st.sampled_from(["==", "<="]),
)
def test_the_single_relation_shortcut_agrees_with_linear_programming(terms, slack, op):
    keys = [f"x{n}" for n in range(len(terms))]
    coefficients = {k: a for k, (a, _, _) in zip(keys, terms)}
    bounds = {k: (1.0, 4.0) if small else (1.0, math.inf) for k, (_, small, _) in zip(keys, terms)}
    truth = {k: min(v, 4) if small else v for k, (_, small, v) in zip(keys, terms)}
    constant = sum(coefficients[k] * truth[k] for k in keys) + (slack if op == "<=" else 0)
    lp = d._linear_programme(keys, [(coefficients, constant, op), (coefficients, constant, op)], bounds)
    exact = d._single_relation(coefficients, constant, op, bounds)

    def clip(bounds):  # the programme caps "unbounded" at a large number; only large or not matters
        return tuple(min(b, 50.0) for b in bounds)

    for key in keys:
        assert clip(exact[key]) == pytest.approx(clip(lp[key]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(small_heavy, min_size=3, max_size=3), min_size=2, max_size=4), st.booleans(), st.booleans())
def test_no_table_lets_the_attacker_narrow_a_hidden_cell(grid, with_rows, with_columns):
    counts = {f"r{i}": {f"c{j}": v for j, v in enumerate(row)} for i, row in enumerate(grid)}
    row_totals, column_totals, grand = margins(counts)
    table = d.protect_table(counts, row_totals if with_rows else None, column_totals if with_columns else None, grand)
    truth = {
        **{(r, c): counts[r][c] for r in counts for c in counts[r]},
        (TOTAL, TOTAL): grand,
        **({(r, TOTAL): v for r, v in row_totals.items()} if with_rows else {}),
        **({(TOTAL, c): v for c, v in column_totals.items()} if with_columns else {}),
    }
    relations = table_relations(list(counts), list(counts["r0"]), with_rows, with_columns)
    if not with_rows and not with_columns:
        relations.append(({(TOTAL, TOTAL): 1, **{(r, c): -1 for r in counts for c in counts[r]}}, "==", 0))
    assert table.protection.unprotectable == frozenset()
    assert attacker.leaks(published(table.protection), relations, truth) == []
    assert all(counts[r][c] > 0 for r, c in table.secondary if r is not TOTAL and c is not TOTAL)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(small_heavy, min_size=4, max_size=4), min_size=3, max_size=4), st.integers(0, 2))
def test_a_viewers_own_row_is_exact_and_the_rest_stays_protected(grid, own_index):
    counts = {f"r{i}": {f"c{j}": v for j, v in enumerate(row)} for i, row in enumerate(grid)}
    row_totals, column_totals, grand = margins(counts)
    own = f"r{own_index}"
    table = d.protect_table(counts, row_totals, column_totals, grand, exact=d.exact_rows([own], list(counts[own])))
    assert all(not table.cell(own, c).hidden for c in counts[own]) and not table.row_total(own).hidden
    truth = {
        **{(r, c): counts[r][c] for r in counts for c in counts[r]},
        (TOTAL, TOTAL): grand,
        **{(r, TOTAL): v for r, v in row_totals.items()},
        **{(TOTAL, c): v for c, v in column_totals.items()},
    }
    relations = table_relations(list(counts), list(counts["r0"]))
    assert attacker.leaks(published(table.protection), relations, truth) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=2, max_size=5))
def test_complements_and_inequalities_across_two_linked_tables(pairs):
    # directory and engaged per borough, never = directory − engaged, GM totals of each, engaged ≤ directory.
    values, relations, attack = {}, [], []
    boroughs = [f"b{i}" for i in range(len(pairs))]
    for b, (engaged, extra) in zip(boroughs, pairs):
        values.update({(b, "directory"): engaged + extra, (b, "engaged"): engaged, (b, "never"): extra})
    for measure in ("directory", "engaged", "never"):
        values[("GM", measure)] = sum(values[(b, measure)] for b in boroughs)
    for b in [*boroughs, "GM"]:
        relations += [
            Relation.difference((b, "never"), (b, "directory"), (b, "engaged")),
            Relation.at_most((b, "engaged"), (b, "directory")),
        ]
        attack += [
            ({(b, "never"): 1, (b, "directory"): -1, (b, "engaged"): 1}, "==", 0),
            ({(b, "engaged"): 1, (b, "directory"): -1}, "<=", 0),
        ]
    for measure in ("directory", "engaged", "never"):
        relations.append(Relation.total(("GM", measure), [(b, measure) for b in boroughs]))
        attack.append(({("GM", measure): 1, **{(b, measure): -1 for b in boroughs}}, "==", 0))
    result = d.protect(values, relations)
    assert attacker.leaks(published(result), attack, values) == []


def test_the_same_inputs_always_hide_the_same_cells():
    counts = {"a": {"x": 3, "y": 8, "z": 8}, "b": {"x": 8, "y": 3, "z": 8}, "c": {"x": 8, "y": 8, "z": 3}}
    row_totals, column_totals, grand = margins(counts)
    first = d.protect_table(counts, row_totals, column_totals, grand)
    again = d.protect_table(counts, row_totals, column_totals, grand)
    assert first.hidden == again.hidden and first.protection.cells == again.protection.cells


def test_cells_already_hidden_elsewhere_stay_hidden():
    result = d.protect({"a": 9, "b": 12}, hide={"a"})
    assert result["a"].display() == "not shown" and result["b"].display() == "12"


@pytest.mark.parametrize("size", [3, 4, 6])
def test_a_long_cycle_of_hidden_cells_protects_without_hiding_more(size):
    # A staircase of hidden cells around the table: (0,0) (0,1) (1,1) (1,2) … (n−1,n−1) (n−1,0). Moving
    # the small cell up by t and the others by ∓t in turn keeps every row and column total, so the
    # small cell can be 1 to 4 and no further cell needs hiding. For size 6 the cycle is longer than the
    # audit's local programmes reach: only the programme over the whole group proves it.
    rows = [f"r{n}" for n in range(size)]
    columns = [f"c{n}" for n in range(size)]
    counts = {r: {c: 20 for c in columns} for r in rows}
    counts["r0"]["c0"] = 2
    cycle = [(rows[n], columns[n]) for n in range(size)] + [(rows[n], columns[(n + 1) % size]) for n in range(size)]
    values, relations, cost = d.table_problem(counts, *margins(counts))
    result = d.protect(values, relations, cost=cost, hide=set(cycle) - {("r0", "c0")})
    assert result.primary == {("r0", "c0")}
    assert result.secondary == set(cycle) - {("r0", "c0")}
    assert attacker.leaks(published(result), table_relations(rows, columns), values) == []


def test_totals_are_hidden_only_when_no_interior_cell_will_do():
    counts = {"r0": {"c0": 3, "c1": 6}, "r1": {"c0": 7, "c1": 8}}
    row_totals, column_totals, grand = margins(counts)
    table = d.protect_table(counts, row_totals, column_totals, grand)
    assert not any(TOTAL in key for key in table.hidden)
    assert table.hidden == {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}


def test_a_breakdown_of_respondents_hides_enough_to_protect_its_small_answer():
    result = d.protect_breakdown({"yes": 14, "partly": 2, "no": 9}, total=25)
    assert result["partly"].display() == "fewer than 5"
    assert result["no"].display() == "not shown" and result[TOTAL].display() == "25"
    relations = [({TOTAL: 1, "yes": -1, "partly": -1, "no": -1}, "==", 0)]
    assert attacker.leaks(published(result), relations) == []


def test_a_breakdown_the_viewer_may_see_exactly_hides_nothing():
    assert not d.protect_breakdown({"yes": 1, "no": 3}, total=4, exact=True).hidden


def test_bad_counts_are_refused_with_the_cell_named():
    with pytest.raises(ValueError, match="'b'"):
        d.protect({"a": 1, "b": -2})
    with pytest.raises(ValueError, match="whole numbers"):
        d.protect({"a": 1.5})
    with pytest.raises(KeyError, match="'missing'"):
        d.protect({"a": 1}, [Relation.total("a", ["missing"])])


def test_rates_and_indices_built_on_a_hidden_count_are_not_shown():
    result = d.protect({"engaged": 3, "directory": 40, "gm": 90})
    rate = d.ratio(result["engaged"], result["directory"])
    assert rate.hidden and rate.display() == "not shown"
    assert d.per_100k(result["directory"], 200_000).value == pytest.approx(20.0)
    assert d.index(result["directory"], result["gm"], 0.5).value == pytest.approx(40 / 90 / 0.5)
    assert d.index(result["engaged"], result["gm"], 0.5).hidden
    assert result.derived(0.5, "directory", "gm").value == 0.5
    assert result.derived(0.5, "engaged").hidden
    assert d.ratio(Cell(3), Cell(0)).display() == "no data"
    assert d.percentage(Cell(1), Cell(4)).display("{:.0f}%") == "25%"


def test_the_template_filter_marks_hidden_cells_and_formats_shown_ones(app):
    render = app.jinja_env.from_string
    assert render("{{ c | protected }}").render(c=Cell(12345)) == "12,345"
    hidden = render("{{ c | protected }}").render(c=Cell(None, d.SMALL))
    assert 'data-reason="small"' in hidden and "fewer than 5" in hidden
    assert render('{{ c | protected("{:.0%}") }}').render(c=Cell(0.25)) == "25%"
    assert isinstance(d.format_protected(Cell(None, d.SECONDARY)), Markup)


def test_the_solver_prints_nothing_to_the_servers_log():
    """HiGHS's banner went to standard output once per process (into the server's log); a fresh process
    that protects a table writes nothing there."""
    import subprocess
    import sys

    script = (
        "from coordination import disclosure as d\n"
        "counts = {'a': {'x': 2, 'y': 9, 'z': 6}, 'b': {'x': 7, 'y': 8, 'z': 3}, 'c': {'x': 6, 'y': 5, 'z': 9}}\n"
        "rows = {r: sum(v.values()) for r, v in counts.items()}\n"
        "columns = {c: sum(v[c] for v in counts.values()) for c in 'xyz'}\n"
        "t = d.protect_table(counts, rows, columns, sum(rows.values()))\n"
        "assert sum(c.hidden for c in t.protection.cells.values()) >= 4\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
