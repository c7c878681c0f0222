"""Token buckets in PostgreSQL: two instances (two replicas) on one database draw on the same bucket,
with the same arithmetic as the per-process `TokenBucket`; an unreachable database hands the decision
back to the caller (None)."""

from __future__ import annotations

import secrets

import anyio
import pytest

from api.storage import open_store
from api.storage.rate_buckets import SharedTokenBuckets


@pytest.fixture
def database_url(postgres_cluster):
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_cluster.create_database(name)
    open_store(url, 3600).close()  # the migrations create rate_buckets
    yield url
    postgres_cluster.drop_database(name)


def run(fn):
    return anyio.run(fn)


def test_two_replicas_share_one_bucket_per_client(database_url):
    async def scenario():
        a = SharedTokenBuckets(database_url, per_minute=6, burst=5)  # refill 0.1 token/s
        b = SharedTokenBuckets(database_url, per_minute=6, burst=5)
        await a.open()
        await b.open()
        try:
            waits = [await (a if i % 2 == 0 else b).take("203.0.113.7") for i in range(8)]
            other = await b.take("198.51.100.1")
        finally:
            await a.close()
            await b.close()
        return waits, other

    waits, other = run(scenario)
    assert waits[:5] == [0.0] * 5  # the burst, spent alternately on both replicas
    # then both refuse: one bucket, not one per replica (each alone would still have 2-3 tokens)
    assert all(w > 0 for w in waits[5:])
    # the missing token takes ~10 s at 0.1 token/s, less what trickled in during the test
    assert 8 < waits[5] <= 10
    assert other == 0.0  # another client has a bucket of its own


def test_concurrent_takes_never_spend_more_than_the_burst(database_url):
    results: list[float | None] = []

    async def scenario():
        replicas = [SharedTokenBuckets(database_url, per_minute=1, burst=10) for _ in range(3)]
        for r in replicas:
            await r.open()
        try:
            async with anyio.create_task_group() as tg:
                for i in range(30):
                    async def one(r=replicas[i % 3]):
                        results.append(await r.take("192.0.2.9"))
                    tg.start_soon(one)
        finally:
            for r in replicas:
                await r.close()

    run(scenario)
    assert None not in results
    assert sum(1 for w in results if w == 0.0) == 10


def test_unreachable_database_leaves_the_decision_to_the_caller(postgres_cluster):
    async def scenario():
        # a port nothing listens on: the pool cannot connect, take answers None within its timeout
        url = postgres_cluster.url().replace(f":{postgres_cluster.port}/", ":1/")
        buckets = SharedTokenBuckets(url, per_minute=60, burst=1)
        await buckets.open()
        try:
            with anyio.fail_after(5):
                return await buckets.take("x"), await buckets.take("x")
        finally:
            await buckets.close()

    assert run(scenario) == (None, None)
