"""The audit CLI reads the ids it is given, whatever character they begin with."""

from __future__ import annotations

import pytest

from services.cli.__main__ import parse


@pytest.mark.parametrize("execution_id", ["-Xb3kq9Lr0aZ1pQ2wE4tY", "--Xb3kq9Lr0aZ1pQ2wE4t", "Xb3kq9Lr0aZ1pQ2wE4tY_"])
def test_history_takes_an_id_that_begins_with_a_dash(execution_id: str) -> None:
    assert parse(["history", execution_id]).execution_id == execution_id


def test_history_help_is_still_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse(["history", "--help"])
    assert exited.value.code == 0
    assert "execution_id" in capsys.readouterr().out
