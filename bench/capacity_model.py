"""docs/capacity.md's tables, computed from measured CPU per unit of work (no figure typed by hand).

    PYTHONPATH=. .venv/bin/python bench/capacity_model.py <gateway_nginx.jsonl> <capacity.jsonl> [--broker-alone]

<gateway_nginx.jsonl>: the lines of `bench/gateway_nginx.py --against ...` (the "after" runs: this code) for the
share return's cost in front of the broker; <capacity.jsonl>: the lines of `bench/capacity.py` (listing,
share_events, notifications, scaled). Medians over runs where there are several.
"""
import json
import math
import statistics
import sys

# Science Day (全国科普日), the national peak
PEAK = {
    "share return": 10_000_000 / 3600,        # 10 million returns in an hour
    "activity listing": 50_000 / 10,          # 50,000 people browsing, one listing page each every 10 s
    "notification": 1_000_000 / 3600,         # 1 million notifications in an hour
}
TARGET_UTILISATION = 0.5  # provision twice the busy cores: bursts inside the hour, a node lost, noisy neighbours
COMPONENTS = ("nginx", "gateway", "activities", "identity", "metrics", "rabbitmq", "postgresql")


def component(name):
    if name.startswith("gateway") or name == "other":
        return "gateway"
    if name.startswith("service "):
        return name.split(" ", 1)[1]
    return name


def by_component(cpu_ms):
    out = {}
    for name, ms in cpu_ms.items():
        out[component(name)] = out.get(component(name), 0) + ms
    return out


def median_costs(rows):
    keys = {key for row in rows for key in row}
    return {key: statistics.median(row.get(key, 0) for row in rows) for key in keys}


def costs(gateway_lines, capacity_lines, broker_alone=False):
    # this code's runs: "this code" in --against's lines ("after" in older ones)
    after = [line for line in gateway_lines if line.get("checkout", "after") in ("after", "this code")]
    share_front = median_costs([by_component(line["share_return"]["cpu_ms_per_request"]) for line in after])
    one_rpc = median_costs([by_component(line["one_rpc"]["cpu_ms_per_request"]) for line in after])
    parts = {line["part"]: line["result"] for line in capacity_lines}
    share_back = by_component(parts["share_events"]["cpu_ms_per_event"])
    # the share return: the gateway's side (nginx, gateway, the publish into the broker) measured through nginx;
    # what the consumer does with each event (metrics, PostgreSQL, the delivery) measured with distinct shares.
    # The metrics and PostgreSQL columns of the gateway-side run are dropped (there every return was of one
    # share, decided as a repeat); the broker counts on both sides (publish there, delivery here).
    share = {"nginx": share_front.get("nginx", 0), "gateway": share_front.get("gateway", 0),
             "rabbitmq": share_front.get("rabbitmq", 0) + share_back.get("rabbitmq", 0),
             "metrics": share_back.get("metrics", 0), "postgresql": share_back.get("postgresql", 0)}
    listing = by_component(parts["listing"]["cpu_ms_per_request"])
    notification = by_component(parts["notifications"]["cpu_ms_per_notification"])
    # The broker is shared with other sessions' traffic here: its CPU divided by few units (the listing ran at
    # 15 requests/s, the fan-out at 110/s) is mostly theirs. Those two take the broker's cost of the same
    # messaging measured at a higher rate: one RPC's (request and reply) for a listing, one consumed event's
    # (share events, 1,000+ a second) for a notification.
    # With --broker-alone (nothing else used the broker during the runs) the direct measurements stand.
    if not broker_alone:
        listing["rabbitmq"] = one_rpc.get("rabbitmq", 0)
        notification["rabbitmq"] = share_back.get("rabbitmq", 0)
    return {"share return": share, "activity listing": listing, "notification": notification,
            "one RPC (for comparison)": one_rpc}, parts


def table(unit_costs):
    lines = ["| work | per second at the peak | " + " | ".join(COMPONENTS) + " |",
             "|---|---:|" + "---:|" * len(COMPONENTS)]
    busy = {c: 0.0 for c in COMPONENTS}
    for work, cost in unit_costs.items():
        rate = PEAK.get(work)
        cells = [f"{cost.get(c, 0):.3f}" if cost.get(c, 0) else "–" for c in COMPONENTS]
        lines.append(f"| {work}, CPU ms each | {rate:,.0f} |" if rate else f"| {work}, CPU ms each | – |")
        lines[-1] += " " + " | ".join(cells) + " |"
        if rate:
            for c in COMPONENTS:
                busy[c] += rate * cost.get(c, 0) / 1000
    lines.append("| **cores busy at the peak** | | " + " | ".join(f"**{busy[c]:.1f}**" for c in COMPONENTS) + " |")
    lines.append(f"| **cores to provision** (at {TARGET_UTILISATION:.0%} busy) | | "
                 + " | ".join(f"**{math.ceil(busy[c] / TARGET_UTILISATION)}**" for c in COMPONENTS) + " |")
    return lines, busy


def per_work(unit_costs):
    """Cores busy per kind of work at the peak, every component together."""
    return {work: sum(cost.values()) * PEAK[work] / 1000 for work, cost in unit_costs.items() if work in PEAK}


def scaled_table(runs):
    lines = ["| gateway workers | request | requests/s | p99 ms | CPU ms per request: gateway | metrics | "
             "cores used: gateway | metrics | rabbitmq | postgresql | nginx |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in sorted(runs, key=lambda r: (r["request"], r["gateway_workers"])):
        cores = by_component(run["cores"])
        ms = by_component(run["cpu_ms_per_request"])
        lines.append(f"| {run['gateway_workers']} | {run['request'].replace('_', ' ')} | {run['requests_per_s']:.0f} | "
                     f"{run['p99_ms']:.0f} | {ms.get('gateway', 0):.3f} | {ms.get('metrics', 0):.3f} | "
                     + " | ".join(f"{cores.get(c, 0):.2f}" for c in ("gateway", "metrics", "rabbitmq", "postgresql",
                                                                    "nginx")) + " |")
    return lines


def main():
    gateway_lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    capacity_lines = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    unit_costs, parts = costs(gateway_lines, capacity_lines, broker_alone="--broker-alone" in sys.argv[3:])
    lines, busy = table(unit_costs)
    print("\n".join(lines))
    print()
    print("cores busy per kind of work:", {k: round(v, 1) for k, v in per_work(unit_costs).items()})
    print("busy:", {k: round(v, 2) for k, v in busy.items()})
    print()
    if "scaled" in parts:
        print("\n".join(scaled_table(parts["scaled"])))
    print()
    print(json.dumps({k: v for k, v in parts.items() if k != "scaled"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
