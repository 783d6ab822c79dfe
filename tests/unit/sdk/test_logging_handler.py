"""`OlliveLogHandler`: application events from standard logging records."""

from __future__ import annotations

import json
import logging

from ollive_sdk import OlliveLogHandler
from ollive_sdk.encode import encode


def test_records_become_application_events(recording_client):
    client, events = recording_client
    log = logging.getLogger("tests.sdk.app")
    log.setLevel(logging.DEBUG)
    handler = OlliveLogHandler(client)
    log.addHandler(handler)
    try:
        log.warning("user %s logged in", "ann", extra={"tenant": "acme", "obj": object()})
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed")
        log.log(25, "custom level")
        logging.getLogger("ollive_sdk").addHandler(handler)
        logging.getLogger("ollive_sdk").warning("the SDK's own trouble must not loop")
    finally:
        log.removeHandler(handler)
        logging.getLogger("ollive_sdk").removeHandler(handler)
    warning, error, custom = (json.loads(encode(e)) for e in events)
    assert (warning["level"], warning["logger"], warning["message"]) == (
        "warning", "tests.sdk.app", "user ann logged in",
    )  # fmt: skip
    assert warning["metadata"]["tenant"] == "acme"
    assert warning["metadata"]["obj"].startswith("<object object")
    assert warning["metadata"]["code.function.name"] == "test_records_become_application_events"
    assert (error["level"], error["exception_type"]) == ("error", "KeyError")
    assert error["exception_message"] == "'missing'"
    assert "KeyError: 'missing'" in error["exception_stack"]
    assert custom["level"] == "info"
