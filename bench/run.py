"""make bench: run every benchmark, print the figures, and write them into docs/benchmarks.md.

Each benchmark starts what it measures as separate processes in a private vhost with its own
databases (the same isolated platform the journey tests use) and tears it down afterwards.
"""
import datetime
import importlib
import json
import os
import platform as host
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    events, gateway_rpc, identity_directory, identity_login, resources_search, resources_upload, review_queues,
)

DOC = ROOT / "docs" / "benchmarks.md"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# BENCH_ONLY=resources refreshes only the resources figures (the others keep their last measurement)
ONLY = os.environ.get("BENCH_ONLY", "")


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), host.processor())
    return f"{os.cpu_count()} cores ({cpu}), Python {host.python_version()}"


def median_run(results, key):
    return sorted(results, key=lambda r: r[key])[len(results) // 2]


def render(gateway_runs, event_runs, login_runs, directory, review):
    rpc = [r["one_rpc"] for r in gateway_runs]
    mid = median_run(rpc, "requests_per_s")
    base = median_run([r["no_rpc_baseline"] for r in gateway_runs], "requests_per_s")
    ours = [r["outbox_to_consumer"]["events_per_s"] for r in event_runs]
    raw = [r["raw_kombu"]["events_per_s"] for r in event_runs]
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}, with `make bench` "
        f"({RUNS} run{'s' if RUNS != 1 else ''} each; the median is shown first, every run after it; load average "
        f"{os.getloadavg()[1]:.1f} over the last 5 minutes when it finished: other work shares this machine).",
        "",
        "**Gateway request that makes one RPC** (`GET /api/v1/system/services/identity`: gateway → RabbitMQ → "
        f"identity → one PostgreSQL query → reply), wrk, {gateway_runs[0]['connections']} connections, "
        f"{gateway_runs[0]['seconds']} s per run, gunicorn 2 workers × 16 threads:",
        "",
        "| | requests/s | p50 ms | p90 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
        f"| one RPC (median run) | {mid['requests_per_s']:.0f} | {mid['p50_ms']:.1f} | {mid['p90_ms']:.1f} | "
        f"{mid['p99_ms']:.1f} | {mid['non_2xx']} |",
    ]
    for n, r in enumerate(rpc, 1):
        lines.append(f"| one RPC, run {n} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p90_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {r['non_2xx']} |")
    lines += [
        f"| `/healthz`, no RPC (same runs, median) | {base['requests_per_s']:.0f} | {base['p50_ms']:.1f} | "
        f"{base['p90_ms']:.1f} | {base['p99_ms']:.1f} | {base['non_2xx']} |",
        "",
        "CPU per request in the median run (all on the same 2 cores):",
        "",
        "| process | CPU ms / request |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {ms:.3f} |" for name, ms in mid["cpu_ms_per_request"].items()]
    lines += [
        f"| **total** | **{sum(mid['cpu_ms_per_request'].values()):.3f}** |",
        "",
        f"**Outbox relay and event consumption, end to end** ({event_runs[0]['outbox_to_consumer']['events']:,} "
        "ping events; identity's relay → RabbitMQ with publisher confirms → metrics' batch consumer → "
        "one transaction per batch with de-duplication), beside a raw kombu publish/consume of the same "
        "messages in the same run:",
        "",
        "| | events/s (median) | every run |",
        "|---|---:|---|",
        f"| outbox → consumer | {statistics.median(ours):.0f} | {', '.join(str(v) for v in ours)} |",
        f"| raw kombu publish/consume | {statistics.median(raw):.0f} | {', '.join(str(v) for v in raw)} |",
        f"| ratio | {statistics.median(r['ratio'] for r in event_runs):.2f} | "
        f"{', '.join(str(r['ratio']) for r in event_runs)} |",
        "",
        f"**Sign-in throughput** ({login_runs[0]['parameters']}): identity's `login` RPC from 8 client threads, "
        f"{login_runs[0]['sign_ins']} accounts each signing in once (rate-limit checks, argon2id verify on a real "
        "thread, token issue), one identity process:",
        "",
        "| run | sign-ins/s | p50 ms | p95 ms | one hash, ms |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {r['per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['one_hash_ms']} |"
              for n, r in enumerate(login_runs, 1)]
    lines += [
        "",
        f"**Directory autocomplete** through the gateway (`GET /api/v1/orgs?q=`), {directory['organizations']:,} "
        "verified organizations with generated realistic names, 1- to 5-character queries including the short "
        "forms people type (科协, 朝阳区科协, 广东省科协, 北京朝阳, 海淀科协), keep-alive clients "
        f"(character-pair GIN index: {directory['grams_index']}):",
        "",
        "| clients | requests | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for clients in (1, 8):
        r = directory[f"{clients}_clients"]
        lines.append(f"| {clients} | {r['requests']} | {r['requests_per_s']} | {r['p50_ms']} | {r['p95_ms']} | "
                     f"{r['p99_ms']} | {r['errors']} |")
    lines += [
        "",
        f"**Review with {review['open_tasks']:,} open tasks**: pages of the reviewer UI, signed in as a platform admin "
        "(UI → RPC → review service → PostgreSQL), one client; decisions through the review service's `decide` RPC "
        "from 8 threads (each locks its task, writes the decision, an audit row and the outbox event):",
        "",
        "| page | requests | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in (("queue_page", "queues (`/`)"), ("task_list_page", "task list, first page"),
                       ("task_list_page_deep", "task list, page 200")):
        r = review[key]
        lines.append(f"| {label} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")
    lines += ["", f"Decisions: {review['decisions']['count']} in a row at {review['decisions']['per_s']} per second."]
    return "\n".join(lines)


def write_region(name, figures):
    text = DOC.read_text()
    text = re.sub(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", lambda m: m.group(1) + figures + m.group(2),
                  text, flags=re.S)
    DOC.write_text(text)
    print(f"\nwritten into {DOC.relative_to(ROOT)} ({name})")


def platform_figures():
    gateway_runs, event_runs = [], []
    for n in range(RUNS):
        gateway_runs.append(gateway_rpc.run())
        print("gateway one-RPC run", n + 1, json.dumps(gateway_runs[-1]["one_rpc"]), flush=True)
    for n in range(RUNS):
        event_runs.append(events.run())
        print("events run", n + 1, json.dumps(event_runs[-1]), flush=True)
    login_runs = [identity_login.run()]
    print("sign-in", json.dumps(login_runs[-1]), flush=True)
    directory = identity_directory.run()
    print("directory", json.dumps(directory), flush=True)
    review = review_queues.run()
    print("review", json.dumps(review), flush=True)
    return render(gateway_runs, event_runs, login_runs, directory, review)


def resources_figures():
    upload = resources_upload.run()
    print("upload", json.dumps(upload), flush=True)
    search = resources_search.run()
    print("search plans of the slowest kinds:\n" + str(search.pop("plans", "")), flush=True)
    print("search", json.dumps(search, default=str, ensure_ascii=False), flush=True)
    lines = [f"Measured {datetime.date.today().isoformat()} on {machine()}, with `make bench` "
             "(`BENCH_ONLY=resources make bench` for these alone).", ""]
    lines += list(resources_upload.render(upload)) + [""] + list(resources_search.render(search))
    return "\n".join(lines)


def group_figures(module):
    """A group kept in its own module (bench/<name>.py) with figures() -> the text of its region."""
    return lambda: importlib.import_module(f"bench.{module}").figures(machine())


# BENCH_ONLY=<name> -> (region in docs/benchmarks.md, what makes its figures)
GROUPS = {
    "platform": ("figures", platform_figures),
    "resources": ("resources-figures", resources_figures),
    "activities": ("activities-figures", group_figures("activities")),
    "metrics": ("metrics-figures", group_figures("metrics")),
    # 30 minutes (SOAK_SECONDS): run it on its own, BENCH_ONLY=soak
    "soak": ("soak-figures", group_figures("soak")),
}


ON_REQUEST = {"soak"}


def main():
    for name, (region, make) in GROUPS.items():
        # the 30-minute soak only when asked for by name: `make bench` stays the quick figures
        if ONLY == name or (ONLY == "" and name not in ON_REQUEST):
            figures = make()
            print("\n" + figures)
            write_region(region, figures)


if __name__ == "__main__":
    main()
