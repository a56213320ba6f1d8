"""The /v1 reference document's Python polling loop, unchanged but for its host (BASE_URL)."""

import time

import requests

BASE_URL = ""  # set per test: the only change to the reference loop below


# -- from the reference document, unchanged but for the host --------------------------
def wait_for_result(execution_arn, api_key, max_wait=120):  # type: ignore[no-untyped-def]
    url = f"{BASE_URL}/v1/status/{execution_arn}"
    headers = {"Authorization": f"Bearer {api_key}"}
    delay = 2
    elapsed = 0
    while elapsed < max_wait:
        resp = requests.get(url, headers=headers).json()
        status = resp["data"]["status"]
        if status == "SUCCEEDED":
            return resp["data"]["output"]
        if status == "FAILED":
            raise Exception(resp["data"].get("errorMessage", "Pipeline failed"))
        time.sleep(delay)
        elapsed += delay
        delay = min(delay * 1.5, 10)  # cap at 10 seconds
    raise TimeoutError("Pipeline did not complete in time")


# ---------------------------------------------------------------------------------------
