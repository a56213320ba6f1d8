"""Live streams get every committed change, and a slow one is cut off, not buffered forever."""

from projections.notifications import ChangeHub
from tests.events import created, given, progressed, started


async def test_subscribers_get_only_their_execution() -> None:
    hub = ChangeHub()
    mine, other = given(created("a")), given(created("b"))
    with hub.subscribe("a") as subscription:
        hub.publish([other, mine])
        assert await subscription.next() == mine
    assert hub.subscriber_count == 0


async def test_a_subscriber_that_falls_behind_is_told_to_go() -> None:
    hub = ChangeHub(max_pending=2)
    states = [given(created(), started(), *[progressed(3 + i, i) for i in range(n)]) for n in range(4)]
    with hub.subscribe("exec-1") as subscription:
        hub.publish(states)
        assert subscription.overflowed
        assert await subscription.next() is None


async def test_shutdown_ends_every_stream() -> None:
    hub = ChangeHub()
    with hub.subscribe("a") as first, hub.subscribe("b") as second:
        hub.close_all()
        assert await first.next() is None and await second.next() is None
