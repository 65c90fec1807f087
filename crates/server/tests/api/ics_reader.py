"""Reads an iCalendar feed from stdin with the `icalendar` library from PyPI, an
independent parser, and prints what the maintenance tests check as JSON."""

import json
import sys

from icalendar import Calendar

calendar = Calendar.from_ical(sys.stdin.buffer.read())
events = []
for event in calendar.walk("VEVENT"):
    objects = event.get("X-MAINTNOTE-OBJECT-ID", [])
    if not isinstance(objects, list):
        objects = [objects]
    events.append(
        {
            "uid": str(event["UID"]),
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "start": event.decoded("DTSTART").isoformat(),
            "end": event.decoded("DTEND").isoformat(),
            "sequence": int(event["SEQUENCE"]),
            "status": str(event["STATUS"]),
            "provider": str(event["X-MAINTNOTE-PROVIDER"]),
            "account": str(event["X-MAINTNOTE-ACCOUNT"]),
            "maintenanceId": str(event["X-MAINTNOTE-MAINTENANCE-ID"]),
            "impact": str(event["X-MAINTNOTE-IMPACT"]),
            "maintenanceStatus": str(event["X-MAINTNOTE-STATUS"]),
            "objects": [
                {"id": str(o), "impact": o.params.get("X-MAINTNOTE-IMPACT")}
                for o in objects
            ],
        }
    )
json.dump({"method": str(calendar.get("METHOD")), "events": events}, sys.stdout)
