from infra.kafka.launcher import new_cluster_id


def test_cluster_ids_never_look_like_an_option_to_the_storage_tool() -> None:
    ids = {new_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
