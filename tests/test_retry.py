"""The HTTP clients' one retry layer: a call made once when it succeeds, its failure counted as
stamina's first attempt when it does not (never made twice for it), nothing retried that `on` refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
import stamina

from certokit.retry import after_a_failure


class Flaky(Exception):
    """An error the retry accepts."""


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    stamina.set_testing(True, attempts=3)
    yield
    stamina.set_testing(False)


def caller(failures: int, error: type[Exception] = Flaky) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= failures:
            raise error(f"falha {len(calls)}")
        return "ok"

    return calls, attempt


async def test_a_call_that_succeeds_is_made_once() -> None:
    calls, attempt = caller(0)
    assert await after_a_failure(attempt, on=Flaky, attempts=3, deadline=5, wait_initial=0, wait_max=0) == "ok"
    assert calls == [1]


async def test_the_first_failure_is_stamina_s_first_attempt() -> None:
    calls, attempt = caller(1)
    assert await after_a_failure(attempt, on=Flaky, attempts=3, deadline=5, wait_initial=0, wait_max=0) == "ok"
    assert calls == [1, 2]  # the failure is replayed to stamina, not made again


async def test_attempts_bound_the_calls_the_first_included() -> None:
    calls, attempt = caller(10)
    with pytest.raises(Flaky, match="falha 3"):
        await after_a_failure(attempt, on=(Flaky,), attempts=3, deadline=5, wait_initial=0, wait_max=0)
    assert calls == [1, 2, 3]


async def test_what_on_refuses_is_raised_at_once() -> None:
    calls, attempt = caller(1, ValueError)
    with pytest.raises(ValueError, match="falha 1"):
        await after_a_failure(
            attempt,
            on=lambda exc: isinstance(exc, Flaky),
            attempts=3,
            deadline=5,
            wait_initial=0,
            wait_max=0,
        )
    assert calls == [1]


async def test_no_time_left_after_the_first_failure_raises_it() -> None:
    calls, attempt = caller(1)
    with pytest.raises(Flaky, match="falha 1"):
        await after_a_failure(attempt, on=Flaky, attempts=3, deadline=0, wait_initial=0, wait_max=0)
    assert calls == [1]
