"""Local days of the user's time zone as UTC bounds."""
import datetime


def utc_bounds(env, date_from, date_to):
    """The naive UTC datetimes [start, end) covering the local days date_from..date_to in the
    user's time zone: vends and write-backs are stamped in UTC, a station counts local days."""
    tz = env.tz
    start = tz.localize(datetime.datetime.combine(date_from, datetime.time.min))
    end = tz.localize(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
    return (start.astimezone(datetime.UTC).replace(tzinfo=None),
            end.astimezone(datetime.UTC).replace(tzinfo=None))
