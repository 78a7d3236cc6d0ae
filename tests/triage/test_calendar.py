"""The working-time clock: weekends, out of hours, bank holidays, the clocks changing."""

from __future__ import annotations

import pytest

from hub.triage.calendar import WorkingCalendar, calendar
from tests.triage.conftest import LONDON, london

CAL = WorkingCalendar(tz=LONDON)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # In hours, same day.
        (london(2026, 11, 23, 10, 0), 240, london(2026, 11, 23, 14, 0)),
        # Ending exactly at closing time stays on that day.
        (london(2026, 11, 23, 13, 0), 240, london(2026, 11, 23, 17, 0)),
        # Friday afternoon red runs over the weekend.
        (london(2026, 11, 27, 16, 0), 240, london(2026, 11, 30, 12, 0)),
        # Raised on Saturday: the clock starts Monday 09:00.
        (london(2026, 11, 28, 10, 0), 240, london(2026, 11, 30, 13, 0)),
        # Raised in the evening: the clock starts next morning.
        (london(2026, 11, 26, 18, 30), 240, london(2026, 11, 27, 13, 0)),
        # Raised before opening.
        (london(2026, 11, 24, 7, 0), 60, london(2026, 11, 24, 10, 0)),
        # Amber: one working day.
        (london(2026, 11, 25, 10, 30), 480, london(2026, 11, 26, 10, 30)),
        # Green: three working days over a weekend.
        (london(2026, 11, 27, 14, 0), 1440, london(2026, 12, 2, 14, 0)),
        # British Summer Time starts on Sunday 29 March 2026: wall-clock hours still count.
        (london(2026, 3, 27, 16, 0), 240, london(2026, 3, 30, 12, 0)),
    ],
)
def test_add_working_minutes(start, minutes, expected):
    assert CAL.add_working_minutes(start, minutes) == expected


def test_bank_holidays_are_skipped():
    cal = WorkingCalendar(
        tz=LONDON, holidays=frozenset({london(2026, 12, 25).date(), london(2026, 12, 28).date()})
    )
    # Christmas Eve 16:00, red: Friday 25th and Monday 28th are holidays.
    assert cal.add_working_minutes(london(2026, 12, 24, 16, 0), 240) == london(2026, 12, 29, 12, 0)


def test_naive_datetimes_are_refused():
    import datetime as dt

    with pytest.raises(ValueError):
        CAL.add_working_minutes(dt.datetime(2026, 1, 5, 10, 0), 60)  # noqa: DTZ001


@pytest.mark.django_db
def test_configured_calendar_reads_bank_holidays_from_data():
    cal = calendar()
    assert london(2026, 12, 28).date() in cal.holidays  # loaded by the migration
    assert cal.add_working_days(london(2026, 12, 24, 15, 0), 1) == london(2026, 12, 29, 15, 0)
