"""Secure score history and seat counts read back from the repository."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from history_repo import RepoBuilder, guid

from entragit import canonical, tenant_reports
from entragit.graph.client import GraphClient
from entragit.tenant_reports import ReportError, sparkline

SKU = "c7df2760-2c81-4ef7-b578-5b5392b571df"


def score_file(date: str, current: float, maximum: float = 100.0) -> str:
    """The shape older `entragit backup` versions wrote to reports/secureScore.yaml (latest record only)."""
    return canonical.dump({"date": date, "currentScore": current, "maxScore": maximum, "percent": None})


def test_score_is_the_latest_record_and_history_has_one_point_per_day(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    for date, value in (("2026-11-01", 40.0), ("2026-11-02", 42.5), ("2026-11-02", 43.0), ("2026-11-04", 50)):
        b.write("reports/secureScore.yaml", score_file(date, value))
        b.commit()
    b.write("entragit.yaml", "tenant_id: t\n")
    b.commit()  # a later commit that does not touch the report
    r = tenant_reports.score(str(b.root))
    assert (r.current, r.maximum, r.date) == (50.0, 100.0, "2026-11-04T00:00:00Z")
    assert [(p.date[:10], p.current) for p in r.history] == [
        ("2026-11-01", 40.0),
        ("2026-11-02", 43.0),  # the newer record of the day wins
        ("2026-11-04", 50.0),
    ]
    assert r.to_json()["history"][0] == {
        "date": "2026-11-01T00:00:00Z",
        "currentScore": 40.0,
        "maxScore": 100.0,
    }


def score_file_with_history(days: list[tuple[str, float]], maximum: float = 100.0) -> str:
    """The shape `entragit backup` writes now: the latest record plus the days Graph still holds."""
    history = [{"date": d, "currentScore": v, "maxScore": maximum} for d, v in days]
    date, current = max(days)
    return canonical.dump({"date": date, "currentScore": current, "maxScore": maximum, "history": history})


def test_score_merges_embedded_history_with_git_history_newest_backup_wins(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    b.write("reports/secureScore.yaml", score_file("2026-10-31", 30.0))  # a file from before history existed
    b.commit()
    b.write(
        "reports/secureScore.yaml",
        score_file_with_history([("2026-10-31", 31.0), ("2026-11-01", 40.0), ("2026-11-02", 41.0)]),
    )
    b.commit()
    # A day later Graph has dropped 10-31 from its window and recomputed 11-02; the history is newest first
    # here on purpose (order in the file does not matter).
    b.write(
        "reports/secureScore.yaml",
        score_file_with_history([("2026-11-03", 45.0), ("2026-11-02", 42.0), ("2026-11-01", 40.0)]),
    )
    b.commit()
    r = tenant_reports.score(str(b.root))
    assert (r.current, r.date) == (45.0, "2026-11-03T00:00:00Z")
    assert [(p.date, p.current) for p in r.history] == [
        ("2026-10-31T00:00:00Z", 31.0),  # kept by git history after Graph forgot it; the newer backup's value
        ("2026-11-01T00:00:00Z", 40.0),
        ("2026-11-02T00:00:00Z", 42.0),  # recomputed: the newest backup wins, no duplicate day
        ("2026-11-03T00:00:00Z", 45.0),
    ]


def test_first_backup_with_history_already_has_a_trend(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    b.write("reports/secureScore.yaml", score_file_with_history([("2026-11-01", 40.0), ("2026-11-02", 44.0)]))
    b.commit()
    r = tenant_reports.score(str(b.root))
    assert [p.to_json() for p in r.history] == [
        {"date": "2026-11-01T00:00:00Z", "currentScore": 40.0, "maxScore": 100.0},
        {"date": "2026-11-02T00:00:00Z", "currentScore": 44.0, "maxScore": 100.0},
    ]


def test_score_accepts_a_raw_graph_record_with_created_date_time(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    record = {"createdDateTime": "2026-11-05T15:21:00.1234567Z", "currentScore": 387.0, "maxScore": 697.0}
    b.write("reports/secureScore.yaml", canonical.dump(record))
    b.commit()
    r = tenant_reports.score(str(b.root))
    assert (r.current, r.maximum, r.date) == (387.0, 697.0, "2026-11-05T15:21:00Z")


@pytest.mark.parametrize(
    ("report", "message"),
    [(tenant_reports.score, "no secure score"), (tenant_reports.seats, "no user files")],
)
def test_a_report_without_its_data_is_a_clear_error(
    tmp_path: Path, report: Callable[[str], object], message: str
) -> None:
    b = RepoBuilder(tmp_path / "r")
    b.write("entragit.yaml", "tenant_id: t\n")
    b.commit()
    with pytest.raises(ReportError, match=message):
        report(str(b.root))


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([5, 5, 5]) == "▅▅▅"
    assert sparkline([]) == ""
    assert len(sparkline(list(range(100)), width=60)) == 60


def test_seats_billable_are_enabled_licensed_members_and_deleted_users_do_not_count(tmp_path: Path) -> None:
    b = RepoBuilder(tmp_path / "r")
    lic = [{"skuId": SKU, "disabledPlans": []}]
    people: list[tuple[str, dict[str, Any]]] = [
        ("member licensed", {"accountEnabled": True, "userType": "Member", "assignedLicenses": lic}),
        ("null type licensed", {"accountEnabled": True, "userType": None, "assignedLicenses": lic}),
        ("member unlicensed", {"accountEnabled": True, "userType": "Member", "assignedLicenses": []}),
        ("guest licensed", {"accountEnabled": True, "userType": "Guest", "assignedLicenses": lic}),
        ("disabled licensed", {"accountEnabled": False, "userType": "Member", "assignedLicenses": lic}),
        (
            "deleted licensed",
            {"accountEnabled": True, "assignedLicenses": lic, "deletedDateTime": "2026-01-01"},
        ),
    ]
    for i, (name, extra) in enumerate(people):
        b.put(
            "users", {"id": guid(i, "ab"), "displayName": name, "userPrincipalName": f"u{i}@x.com", **extra}
        )
    b.commit()
    r = tenant_reports.seats(str(b.root))
    assert r.counts() == {"billable": 2, "guests": 1, "disabled": 1, "licensed": 4, "total": 5}
    assert [e.display_name for e in r.billable] == ["member licensed", "null type licensed"]


def test_licenses_to_review_are_the_licensed_users_that_are_not_billable_and_fast_to_list() -> None:
    """`entragit seats` took a minute on 60k users: the review list was found with `in` on a list."""
    import time

    from entragit.repo.entries import Entry

    def user(i: int, enabled: bool = True, kind: str = "Member") -> Entry:
        return Entry(f"users/{i:05d}.yaml", "users", f"{i}", f"U{i}", [], False, enabled, kind, True)

    billable = [user(i) for i in range(30_000)]
    guest, disabled = user(30_001, kind="Guest"), user(30_002, enabled=False)
    licensed = [*billable, guest, disabled]
    report = tenant_reports.SeatReport(billable, [guest], [disabled], licensed, total=len(licensed))
    start = time.perf_counter()
    assert report.reclaim == [guest, disabled]
    assert time.perf_counter() - start < 1.0


class FakeGraph:
    """Answers `list` with fixed items per Graph path, recording what was asked."""

    def __init__(self, items: dict[str, list[dict[str, Any]]]) -> None:
        self.items = items
        self.asked: list[tuple[str, dict[str, str] | None, str | None]] = []

    def list(
        self, path: str, params: dict[str, str] | None = None, *, required_permission: str | None = None
    ) -> Iterator[dict[str, Any]]:
        self.asked.append((path, params, required_permission))
        return iter(self.items.get(path, []))


def test_the_secure_score_a_backup_writes_is_what_score_reads_back(tmp_path: Path) -> None:
    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    # Newest first, as Graph answers; one day with two records (the later one counts).
    records = [
        {"createdDateTime": f"{d}T06:00:00Z", "currentScore": 300.0 + i, "maxScore": 600.0}
        for i, d in enumerate(days)
    ][::-1]
    records.insert(5, {"createdDateTime": "2026-11-10T23:00:00Z", "currentScore": 999.0, "maxScore": 600.0})
    records[0]["controlScores"] = [
        {"controlName": "MFARegistrationV2", "controlCategory": "Identity", "score": 9.0, "extra": 1},
        {"controlName": "AdminMFAV2", "controlCategory": "Identity", "score": 10.0},
    ]
    graph = FakeGraph({"security/secureScores": records})
    built = tenant_reports.secure_score_report(cast(GraphClient, graph))
    assert graph.asked == [("security/secureScores", {"$top": "90"}, "SecurityEvents.Read.All")]
    assert built is not None
    assert (built["date"], built["currentScore"], built["percent"]) == ("2026-11-30", 329.0, 54.8)
    assert [c["controlName"] for c in built["controlScores"]] == ["AdminMFAV2", "MFARegistrationV2"]
    assert "extra" not in built["controlScores"][1]
    assert len(built["history"]) == 30
    assert built["history"][9] == {"date": "2026-11-10", "currentScore": 999.0, "maxScore": 600.0}

    b = RepoBuilder(tmp_path / "r")
    b.write(tenant_reports.SECURE_SCORE_FILE, canonical.dump(built))
    b.commit()
    r = tenant_reports.score(str(b.root))
    assert (r.current, r.maximum, r.date) == (329.0, 600.0, "2026-11-30T00:00:00Z")
    assert [p.date[:10] for p in r.history] == days
    assert tenant_reports.secure_score_report(cast(GraphClient, FakeGraph({}))) is None


def test_seats_report_counts_seat_codes_and_each_skus_available_units() -> None:
    users: list[dict[str, Any]] = [
        {"accountEnabled": True, "userType": "Member", "assignedLicenses": [{"skuId": SKU}]},
        {"accountEnabled": True, "userType": None, "assignedLicenses": [{"skuId": SKU}]},
        {"accountEnabled": True, "userType": "Member", "assignedLicenses": []},
        {"accountEnabled": True, "userType": "guest", "assignedLicenses": [{"skuId": SKU}]},
        {"accountEnabled": False, "userType": "Member", "assignedLicenses": [{"skuId": SKU}]},
    ]
    codes = {str(i): tenant_reports.seat_code(u) for i, u in enumerate(users)}
    assert list(codes.values()) == ["eml", "eml", "emu", "egl", "dml"]
    skus = [
        {"skuPartNumber": "SPE_E5", "skuId": SKU, "consumedUnits": 4, "prepaidUnits": {"enabled": 10}},
        {"skuPartNumber": "AAD_PREMIUM", "skuId": "x", "consumedUnits": 1, "prepaidUnits": None},
    ]
    built = tenant_reports.seats_report(cast(GraphClient, FakeGraph({"subscribedSkus": skus})), codes)
    assert {k: v for k, v in built.items() if k != "skus"} == {
        "billableUsers": 2,
        "users": 5,
        "members": 4,
        "guests": 1,
        "disabledUsers": 1,
        "licensedUsers": 4,
        "unlicensedEnabledMembers": 1,
    }
    assert [(s["skuPartNumber"], s["available"]) for s in built["skus"]] == [
        ("AAD_PREMIUM", None),
        ("SPE_E5", 6),
    ]
