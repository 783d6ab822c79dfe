"""Events per second one process pushes through the SDK's transport to an ingest endpoint.

    uv run python bench/sdk_throughput.py                       # a local sink started here
    uv run python bench/sdk_throughput.py --endpoint http://127.0.0.1:8000 --api-key olk_...

The producer keeps the queue below capacity (it waits when the queue is 3/4 full), so the figure
is what the transport delivers, not how fast events can be dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ollive_sdk import Client, TransportConfig
from sdk_sink import Sink

RESULTS = Path(__file__).with_name("results")


def produce(client: Client, n: int, high_water: int) -> None:
    step = max(n // 10, 1)
    for i in range(n):
        with client.inference(provider="gcp.gemini", model="gemini-2.5-flash",
                              input="What is the weather in Paris today?") as span:  # fmt: skip
            span.set_usage(input_tokens=12, output_tokens=40, cached_input_tokens=4)
            span.set_finish_reason("stop")
            span.set_output("It is sunny in Paris, 24 degrees, light wind from the west.")
        if i % 256 == 0:
            while client.stats().queued > high_water:
                time.sleep(0.001)
        if i % step == step - 1:
            print(f"  {i + 1}/{n} events produced", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="ingest base URL; default: a local sink")
    parser.add_argument("--api-key", default=os.environ.get("OLLIVE_API_KEY", "bench"))
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch-events", type=int, default=500)
    parser.add_argument("--queue", type=int, default=10_000)
    args = parser.parse_args()

    sink = None if args.endpoint else Sink()
    endpoint = args.endpoint or sink.url  # type: ignore[union-attr]
    config = TransportConfig(max_queue_size=args.queue, max_batch_events=args.batch_events)
    client = Client(environ={}, endpoint=endpoint, api_key=args.api_key, service="bench",
                    transport=config)  # fmt: skip
    started = time.perf_counter()
    produce(client, args.events, args.queue * 3 // 4)
    flushed = client.flush(120)
    elapsed = time.perf_counter() - started
    stats = client.stats()
    client.shutdown(10)

    rate = stats.sent / elapsed
    figures = {
        "sdk_throughput_events_per_s": (rate, "events/s"),
        "sdk_throughput_events_sent": (stats.sent, "events"),
        "sdk_throughput_events_dropped": (stats.dropped_total, "events"),
        "sdk_throughput_batches": (stats.batches_sent, "batches"),
        "sdk_throughput_elapsed": (elapsed, "s"),
    }
    if sink is not None:
        figures["sdk_throughput_gzip_bytes_per_event"] = (sink.bytes / max(sink.events, 1), "B")
        figures["sdk_throughput_sink_received"] = (sink.events, "events")
        sink.stop()
    for name, (value, unit) in figures.items():
        print(
            f"{name}: {value:.1f} {unit}" if isinstance(value, float) else f"{name}: {value} {unit}"
        )
    RESULTS.mkdir(exist_ok=True)
    result = {name: value for name, (value, _) in figures.items()}
    result.update(endpoint="local-sink" if sink else endpoint, flushed=flushed,
                  dropped=stats.dropped, batch_events=args.batch_events)  # fmt: skip
    (RESULTS / "sdk_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if flushed and stats.dropped_total == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
