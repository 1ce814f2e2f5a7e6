"""CPU of one WhatsApp send in the sending process: MetaSender -> GraphClient -> httpx -> aiohttp.

A stand-in for Meta's Cloud API runs in a process of its own (aiohttp on loopback, answering each
POST /{phone-number-id}/messages as Meta does: `messaging_product`, `contacts`, `messages[0].id`).
The sending process makes `--messages` sends per round through the production stack — a
`MetaSender` over a `GraphClient` over `httpx.AsyncClient(transport=AiohttpTransport())`, on uvloop,
`--concurrency` at a time, each message a text carrying `biz_opaque_callback_data` as the sender
queues it — and reports the sending process's CPU (time.process_time: the stand-in's is not counted)
per send, in microseconds.

With `--base REV` (repeatable) the same rounds alternate between the code of each REV (certokit's
http.py, graph.py and meta.py read with `git show` into modules of their own) and the working
tree's, in one process: base, current, base, current, … so all are measured in the same minutes on
the same machine.

    taskset -c 1 uv run python benchmarks/graph_send.py --base 588dcd9 --rounds 10 --messages 1000
    taskset -c 1 uv run python benchmarks/graph_send.py                  (the working tree alone)
    taskset -c 1 uv run python benchmarks/graph_send.py --profile prof.out   (cProfile of the current code)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import itertools
import socket
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import httpx

from certokit import http as current_http
from certokit.whatsapp import graph as current_graph
from certokit.whatsapp import meta as current_meta
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
PHONE_NUMBER_ID = "106540352242922"
MODULES = {
    "http": "packages/certokit/certokit/http.py",
    "graph": "packages/certokit/certokit/whatsapp/graph.py",
    "meta": "packages/certokit/certokit/whatsapp/meta.py",
}


def serve(port: int) -> None:
    """The Cloud API stand-in: a Meta-shaped answer to every message POST."""
    from aiohttp import web

    counter = itertools.count()

    async def messages(request: web.Request) -> web.Response:
        body = await request.json()
        wamid = f"wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEj{next(counter):020d}AA=="
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    app = web.Application()
    app.router.add_post(f"/v25.0/{PHONE_NUMBER_ID}/messages", messages)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def load_base(rev: str) -> types.SimpleNamespace:
    """certokit's http, graph and meta modules as they were at `rev`, under names of their own."""
    mods: dict[str, types.ModuleType] = {}
    for key in ("http", "graph", "meta"):
        source = subprocess.run(
            ["git", "show", f"{rev}:{MODULES[key]}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        prefix = f"_graph_send_{rev.replace('~', '_').replace('^', '_')}"
        name = f"{prefix}_{key}"
        source = source.replace("certokit.whatsapp.graph", f"{prefix}_graph").replace("certokit.http", f"{prefix}_http")
        spec = importlib.util.spec_from_loader(name, loader=None)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        module.__file__ = f"<{rev}:{MODULES[key]}>"
        sys.modules[name] = module
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # our own code, as it was at `rev`
        mods[key] = module
    return types.SimpleNamespace(**mods)


class Stack:
    """One implementation's production stack: an httpx client over the aiohttp transport, the Graph
    client over it, and the MetaSender the bot's Sender calls."""

    def __init__(self, label: str, mods: Any, base_url: str) -> None:
        self.label = label
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=3.0), transport=mods.http.AiohttpTransport(max_connections=200)
        )
        graph = mods.graph.GraphClient(
            self.http, base_url=base_url, access_token="EAAG" + "x" * 200, phone_number_id=PHONE_NUMBER_ID
        )
        self.sender = mods.meta.MetaSender(graph)
        self.mods = mods
        self.seq = itertools.count()

    async def send_many(self, messages: int, concurrency: int) -> None:
        async def one_lane(lane: int) -> None:
            for _ in range(messages // concurrency):
                n = next(self.seq)
                to = f"5511987{n % 1_000_000:06d}"
                message = self.mods.graph.with_callback_data(
                    self.mods.graph.text_message(f"Olá! Sua proposta nº {n}: 3x de R$ 120,50. Confirma?"), f"ob:{n}"
                )
                result = await self.sender.send(to, message, pace=pace)
                assert result.wamid.startswith("wamid."), result

        await asyncio.gather(*(one_lane(i) for i in range(concurrency)))

    async def aclose(self) -> None:
        await self.http.aclose()


async def pace() -> None:
    return None  # the Redis rate limit is not what is measured here


async def run(args: argparse.Namespace, base_url: str) -> None:
    stacks = [
        Stack("current", types.SimpleNamespace(http=current_http, graph=current_graph, meta=current_meta), base_url)
    ]
    for rev in reversed(args.base):
        stacks.insert(0, Stack(rev, load_base(rev), base_url))
    for stack in stacks:  # warm up: connections open, code paths taken once
        await stack.send_many(200, args.concurrency)
    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wall: the stand-in shares the core
        profiler.enable()
        await stacks[-1].send_many(args.messages, args.concurrency)
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"profile of {args.messages} sends (current) written to {args.profile}")
    else:
        per_send: dict[str, list[float]] = {s.label: [] for s in stacks}
        for r in range(args.rounds):
            for stack in stacks if r % 2 == 0 else stacks[::-1]:  # neither always first
                cpu, wall = time.process_time(), time.perf_counter()
                await stack.send_many(args.messages, args.concurrency)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                us = cpu / args.messages * 1e6
                per_send[stack.label].append(us)
                print(f"round {r + 1} {stack.label:>20}: {us:7.1f} µs CPU/send  ({args.messages / wall:6.0f} sends/s)")
        first = per_send[stacks[0].label]
        for label, values in per_send.items():
            line = f"{label:>20}: median {statistics.median(values):7.1f} µs CPU/send  (min {min(values):.1f})"
            if label != stacks[0].label:  # paired by round: the machine's load drifts, the ratio less
                ratios = [v / f for v, f in zip(values, first, strict=True)]
                line += f"  {statistics.median(ratios):.2f}x {stacks[0].label} (median of the rounds' ratios)"
            print(line)
    for stack in stacks:
        await stack.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", action="append", default=[], help="a git revision to measure against, alternated round by round"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000, help="sends per round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", help="write a cProfile of one round of the current code here")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        uvloop.install()
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        import uvloop

        uvloop.run(run(args, f"http://127.0.0.1:{port}/v25.0"))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
