"""The benchmark's table (bench/report.py): medians with their spread, ratios to the minimal client, the
verdict on tf-tui's medians, and the marked section of docs/PERFORMANCE.md it replaces."""

from __future__ import annotations

from bench.report import BEGIN, END, Figure, Part, table, write_section


def test_a_row_gives_medians_with_their_spread_the_ratio_and_the_verdict():
    latency = Part({"tf-tui": [30.0, 10.0, 20.0], "minimal": [40.0], "naive": []}, " ms")
    figure = Figure("latency", [latency], "≤ 25 ms", lambda medians: medians[0] <= 25)
    rows = table([figure]).splitlines()
    assert rows[0] == "| figure | tf-tui | minimal | naive | tf-tui ÷ minimal | target | met? |"
    assert rows[2] == "| latency | 20 (10-30) ms | 40 ms | — | 0.50x | ≤ 25 ms | met |"


def test_nothing_to_divide_by_and_nothing_measured_say_so_instead_of_failing():
    idle = Part({"tf-tui": [12.0], "minimal": [0.0], "naive": [0.0]}, " B/s")
    figure = Figure("idle bytes", [idle], "≤ 100 B/s", lambda medians: medians[0] <= 100)
    assert table([figure]).splitlines()[2] == "| idle bytes | 12 B/s | 0 B/s | 0 B/s | — | ≤ 100 B/s | met |"
    missed = Figure("cpu", [Part({"tf-tui": [50.0]}, " %")], "≤ 10 %", lambda medians: medians[0] <= 10)
    assert table([missed]).splitlines()[2].endswith("| **missed** |")


def test_the_section_between_the_markers_is_replaced_and_the_rest_kept(tmp_path):
    page = tmp_path / "PERFORMANCE.md"
    page.write_text(f"# Performance\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n", encoding="utf-8")
    write_section(page, "new table")
    assert page.read_text(encoding="utf-8") == f"# Performance\n\nbefore\n\n{BEGIN}\nnew table\n{END}\n\nafter\n"


def test_a_page_without_markers_gets_the_section_appended(tmp_path):
    page = tmp_path / "PERFORMANCE.md"
    page.write_text("# Performance\n", encoding="utf-8")
    write_section(page, "table")
    assert page.read_text(encoding="utf-8") == f"# Performance\n\n{BEGIN}\ntable\n{END}\n"
