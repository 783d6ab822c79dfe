"""OTLP/HTTP traces: decode a request, map its GenAI spans onto the wire contract, archive it."""
