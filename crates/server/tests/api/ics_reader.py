"""Reads an iCalendar feed from stdin with the `icalendar` library from PyPI, an
independent parser, and prints what the maintenance tests check as JSON. With
`mime`, stdin is an e-mail as sent over SMTP: Python's own e-mail parser finds
its text/calendar attachment, which is read the same way."""

import email
import email.policy
import json
import sys

from icalendar import Calendar

source = sys.stdin.buffer.read()
if sys.argv[1:] == ["mime"]:
    message = email.message_from_bytes(source, policy=email.policy.default)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, f"{len(parts)} calendar parts"
    assert parts[0].get_content_disposition() == "attachment"
    assert parts[0].get_param("method") == "PUBLISH"
    source = parts[0].get_payload(decode=True)
calendar = Calendar.from_ical(source)
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
