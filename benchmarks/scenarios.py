"""Every load and fault scenario of docs/performance.md, one after the other, with one command.

Each scenario is one run of `benchmarks/loadtest.py` (its own processes, Redis and database); the
results go to `artifacts/perf/<name>.json` and a Markdown table is printed at the end, ready for the
document. Pass names to run only some of them.

    uv run python benchmarks/scenarios.py                   # the main set (about 30 minutes here)
    uv run python benchmarks/scenarios.py scale-out-faults  # the faults again on 2 API + 2 workers
    uv run python benchmarks/scenarios.py big               # 10,000 debtors in conversation at once
    uv run python benchmarks/scenarios.py baseline floor    # just these
    uv run python benchmarks/scenarios.py --table           # the table of the runs already made
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "artifacts" / "perf"

SCENARIOS: dict[str, list[str]] = {
    "baseline": ["--debtors", "300"],
    "floor": ["--debtors", "300", "--floor"],
    "paced": ["--debtors", "300", "--arrival-rate", "4", "--think", "2"],
    "scale-out": ["--debtors", "300", "--api-processes", "2", "--workers", "2"],
    "model": ["--debtors", "200", "--model"],
    "kill-api": ["--debtors", "200", "--fault", "kill-api"],
    "kill-worker": ["--debtors", "200", "--api-processes", "2", "--workers", "2", "--fault", "kill-worker"],
    "redis-restart": ["--debtors", "200", "--fault", "redis-restart"],
    "crm-down": ["--debtors", "200", "--fault", "crm-down"],
    "graph-storm": ["--debtors", "200", "--fault", "graph-storm"],
    "model-hang": ["--debtors", "200", "--model", "--fault", "model-hang"],
    # The fault runs again with two API processes and two workers (issue 7: scale-out passes them too).
    "scale-out-kill-api": ["--debtors", "200", "--api-processes", "2", "--workers", "2", "--fault", "kill-api"],
    "scale-out-redis-restart": [
        "--debtors",
        "200",
        "--api-processes",
        "2",
        "--workers",
        "2",
        "--fault",
        "redis-restart",
    ],
    "scale-out-crm-down": ["--debtors", "200", "--api-processes", "2", "--workers", "2", "--fault", "crm-down"],
    "scale-out-graph-storm": ["--debtors", "200", "--api-processes", "2", "--workers", "2", "--fault", "graph-storm"],
    # 10,000 debtors past the identity check, all in conversation at the same time: kept live (no
    # timeout) so the figures at the end are those of 10,000 live sessions.
    "big": [
        *("--debtors", "10000", "--turns", "2", "--concurrency", "200"),
        *("--reply-timeout", "2400", "--conversation-timeout", "86400"),
    ],
}
DEFAULT = [name for name in SCENARIOS if name != "big" and not name.startswith("scale-out-")]
GROUPS = {"scale-out-faults": [name for name in SCENARIOS if name.startswith("scale-out-")]}

COLUMNS = [
    ("scenario", "scenario"),
    ("api_processes", "API"),
    ("workers", "workers"),
    ("messages", "messages"),
    ("accept_p50_ms", "accept p50 ms"),
    ("accept_p99_ms", "accept p99 ms"),
    ("reply_p50_ms", "reply p50 ms"),
    ("reply_p99_ms", "reply p99 ms"),
    ("messages_per_s", "msg/s"),
    ("lost", "lost"),
    ("duplicates", "doubled"),
    ("out_of_order", "out of order"),
    ("with_one_outcome", "sessions with one outcome"),
    ("boletos_delivered", "boletos"),
]


def run(name: str) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / f"{name}.json"
    argv = [sys.executable, "benchmarks/loadtest.py", *SCENARIOS[name], "--json", str(target)]
    print(f"== {name}: {' '.join(argv[1:])}", flush=True)
    subprocess.run(argv, cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads(target.read_text())
    return {"scenario": name, **result}


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for row in rows:
        cells = []
        for key, _ in COLUMNS:
            value = row.get(key, "")
            if key == "with_one_outcome" and "conversations" in row:
                value = f"{value} / {row['conversations']}"
            if key == "workers" and isinstance(value, str):
                value = "in API"
            cells.append(f"{value:,}" if isinstance(value, int | float) and key != "scenario" else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((OUT / f"{name}.json").read_text())
    return {"scenario": name, **result}


def main() -> None:
    args = sys.argv[1:]
    only_table = bool(args) and args[0] == "--table"  # the table of runs already made, without running
    if only_table:
        args = args[1:]
    names = [n for arg in args for n in GROUPS.get(arg, [arg])] or DEFAULT
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    if only_table:
        names = [n for n in names if (OUT / f"{n}.json").exists()]
    rows = [load(name) if only_table else run(name) for name in names]
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
