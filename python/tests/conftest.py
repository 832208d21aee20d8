"""Shared fixtures of the package's tests: the repository's paths and a few orders."""

import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

A100 = {"cpu": 16, "mem": 128, "gpu": "A100-80GB", "gpus": 1, "gpu_mem": 80, "tee": None,
        "region": "eu-west"}
PROVIDER = "0x" + "1" * 40
REQUESTER = "0x" + "2" * 40


def ask(order_id, price, qty=1, owner=PROVIDER, hw=None):
    return {"op": "ask", "id": order_id, "owner": owner, "price": price, "qty": qty,
            "tif": "gtc", "hw": hw or A100, "from": 0, "until": 86_400_000}


def bid(order_id, limit, qty=1, owner=REQUESTER, tif="gtc"):
    return {"op": "bid", "id": order_id, "owner": owner, "limit": limit, "qty": qty, "tif": tif,
            "req": {"cpu": 8, "mem": 32, "gpu": ["A100-80GB"], "gpus": 1, "gpu_mem": 80,
                    "tee": None, "regions": []},
            "duration": 3_600_000, "not_before": 0, "deadline": 86_400_000}


@pytest.fixture
def repo():
    return REPO
