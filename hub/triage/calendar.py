"""Working time: the clock RAG deadlines and acknowledgements run on.

A working day is Monday to Friday, `TRIAGE_WORKDAY_START`–`TRIAGE_WORKDAY_END` local time in
`TRIAGE_TIME_ZONE` (defaults 09:00–17:00 Europe/London), except bank holidays, which are data
(`BankHoliday`, loaded with England and Wales dates by a migration and editable in the admin).

Time is counted in working minutes: "red = 4 working hours" is 240 minutes; "one working day" is
one full working day's minutes (480 with the default hours). Something raised out of hours starts
its clock at the next working day's opening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


@dataclass(frozen=True)
class WorkingCalendar:
    tz: ZoneInfo
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def minutes_per_day(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self.start, tzinfo=self.tz)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, self.end, tzinfo=self.tz)

    def next_working_moment(self, moment: datetime) -> datetime:
        """MOMENT if it falls in working hours, else the next opening time."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day):
            if local < self._opening(day):
                return self._opening(day)
            if local < self._closing(day):
                return local
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._opening(day)

    def add_working_minutes(self, moment: datetime, minutes: int) -> datetime:
        """The moment MINUTES working minutes after MOMENT (which must be timezone-aware)."""
        if moment.tzinfo is None:
            raise ValueError("add_working_minutes needs a timezone-aware datetime")
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        current = self.next_working_moment(moment)
        remaining = minutes
        while True:
            closing = self._closing(current.date())
            available = int((closing - current).total_seconds() // 60)
            if remaining <= available:
                return current + timedelta(minutes=remaining)
            remaining -= available
            current = self.next_working_moment(closing)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        return self.add_working_minutes(moment, days * self.minutes_per_day)


def calendar(*, holidays: Iterable[date] | None = None) -> WorkingCalendar:
    """The configured calendar. HOLIDAYS defaults to every `BankHoliday` row (one query)."""
    if holidays is None:
        from hub.triage.models import BankHoliday

        holidays = BankHoliday.objects.values_list("date", flat=True)
    return WorkingCalendar(
        tz=ZoneInfo(getattr(settings, "TRIAGE_TIME_ZONE", "Europe/London")),
        start=_parse(getattr(settings, "TRIAGE_WORKDAY_START", "09:00")),
        end=_parse(getattr(settings, "TRIAGE_WORKDAY_END", "17:00")),
        holidays=frozenset(holidays),
    )


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
