"""The WebSocket hub: replies to client frames, who gets which frame, and slow clients."""

from __future__ import annotations

from tf_tui.server.hub import SEND_QUEUE_LIMIT, Hub


def drain(connection) -> list[dict]:
    frames = []
    while not connection.outbox.empty():
        frames.append(connection.outbox.get_nowait())
    return frames


async def test_subscriptions_decide_who_gets_a_run_update():
    hub = Hub()
    watcher, other = hub.connect(), hub.connect()
    hub.handle(watcher, '{"type": "subscribe_training", "train_id": "run-1"}')
    hub.send_to_subscribers("run-1", {"type": "training_update", "train_id": "run-1"})
    hub.broadcast({"type": "system_update"})
    assert drain(watcher) == [{"type": "training_update", "train_id": "run-1"}, {"type": "system_update"}]
    assert drain(other) == [{"type": "system_update"}]

    hub.handle(watcher, '{"type": "unsubscribe_training", "train_id": "run-1"}')
    hub.send_to_subscribers("run-1", {"type": "training_update", "train_id": "run-1"})
    assert drain(watcher) == []


async def test_a_full_client_is_flagged_and_never_blocks_the_others():
    hub = Hub()
    slow, fast = hub.connect(), hub.connect()
    for number in range(SEND_QUEUE_LIMIT + 5):
        hub.broadcast({"n": number})
        assert fast.outbox.get_nowait() == {"n": number}  # the fast client reads as frames come
    assert slow.overflowed.is_set()
    assert slow.outbox.qsize() == SEND_QUEUE_LIMIT
    assert not fast.overflowed.is_set()


async def test_a_disconnected_client_gets_nothing():
    hub = Hub()
    connection = hub.connect()
    hub.handle(connection, '{"type": "subscribe_training", "train_id": "run-1"}')
    hub.disconnect(connection)
    hub.send_to_subscribers("run-1", {"type": "training_update"})
    assert drain(connection) == []
