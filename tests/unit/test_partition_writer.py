"""The partition writer never leaves a caller waiting: stopped, failed or fenced, it says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from services.handler.ordered_writer import Fenced
from services.handler.partition_writer import PartitionWriter
from services.kafka_io import PublishFailed
from tests.events import completed, started


class FakeProducer:
    """Sends hang or fail on demand."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.committed: list[Any] = []
        self._sent: list[Any] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def begin_transaction(self) -> None:
        self._sent = []

    async def send(self, topic: str, value: bytes, **kwargs: Any) -> asyncio.Future[int]:
        if self.behaviour == "hang":
            await asyncio.sleep(60)
        if self.behaviour == "fail":
            raise KafkaTimeoutError()
        self._sent.append(value)
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        done.set_result(len(self._sent))
        return done

    async def commit_transaction(self) -> None:
        self.committed.append(list(self._sent))


async def test_a_stopped_writer_fails_the_batch_it_was_sending() -> None:
    writer = PartitionWriter(lambda txn_id: FakeProducer("hang"), "t", 0, "g/t/0", timeout_s=30)  # type: ignore[arg-type,return-value]
    await writer.start()
    pending = asyncio.create_task(writer.publish(started(2, "a")))
    await asyncio.sleep(0.05)
    await writer.stop()
    with pytest.raises(PublishFailed, match="stopped"):
        await asyncio.wait_for(pending, 1)


async def test_a_failed_transaction_is_tried_again_on_the_other_id_and_its_producer_replaced() -> None:
    behaviours = iter(["fail", "ok", "ok"])
    producers: list[FakeProducer] = []
    ids: list[str] = []

    def factory(txn_id: str) -> FakeProducer:
        ids.append(txn_id)
        producers.append(FakeProducer(next(behaviours)))
        return producers[-1]

    writer = PartitionWriter(factory, "t", 0, "g/t/0", timeout_s=5, retry_pause_s=0.01)  # type: ignore[arg-type]
    await writer.start()
    await writer.publish(started(2, "a"))  # its first transaction fails: the writer tries again, not the caller
    await writer.publish(completed(3, execution_id="a"))  # back on the first id, with a new producer
    assert ids == ["g/t/0", "g/t/0#1", "g/t/0"], "the failed producer was dropped, its id taken again"
    assert [len(batch) for p in producers for batch in p.committed] == [1, 1], "each event committed once"
    assert producers[1].committed and producers[2].committed, "the two ids are used in turn"
    await writer.stop()


async def test_a_stopped_writer_never_takes_the_partition_id_back() -> None:
    producers: list[FakeProducer] = []

    def factory(txn_id: str) -> FakeProducer:
        producers.append(FakeProducer("ok"))
        return producers[-1]

    writer = PartitionWriter(factory, "t", 0, "g/t/0", timeout_s=5)  # type: ignore[arg-type]
    await writer.start()
    await writer.start()
    assert len(producers) == 2, "a second start (a retried assignment) takes each of the two ids once"
    await writer.stop()
    with pytest.raises(Fenced):
        await writer.publish(started(2, "a"))  # a run's late retry after the hand-over
    assert len(producers) == 2, "refused, not sent under a new producer that would fence the new owner"
