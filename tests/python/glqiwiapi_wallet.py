"""glQiwiApi's wallet client (PyPI `glQiwiApi`) against qiwi-sandbox.

Usage: glqiwiapi_wallet.py BASE_URL TOKEN WALLET TXN_ID

glQiwiApi writes QIWI's host into every method (`https://edge.qiwi.com/...`); the request
service below sends the same requests to BASE_URL instead. Every read is parsed by glQiwiApi's
own pydantic models, so a field the sandbox leaves out or types differently fails here. Prints
one JSON object: per method, `{"ok": true, "value": ...}` or `{"ok": false, "error": ...}`.
"""

import asyncio
import json
import sys

from glQiwiApi import QiwiWallet
from glQiwiApi.core.request_service import RequestService
from glQiwiApi.core.session.holder import AiohttpSessionHolder

QIWI = "https://edge.qiwi.com"


class ToSandbox(RequestService):
    """QIWI's requests, sent to the sandbox."""

    def __init__(self, base_url, token):
        super().__init__(
            AiohttpSessionHolder(
                headers={
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Authorization": f"Bearer {token}",
                }
            )
        )
        self.base_url = base_url

    async def send_request(self, url, method, **kwargs):
        if not url.startswith(QIWI):
            raise ValueError(f"not QIWI's wallet host: {url}")
        return await super().send_request(self.base_url + url[len(QIWI):], method, **kwargs)


def plain(value):
    """A pydantic model (or a list/dict of them) as JSON-able data."""
    if hasattr(value, "dict"):
        return json.loads(value.json(by_alias=True))
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


async def main(base_url, token, wallet, txn_id):
    client = QiwiWallet(
        api_access_token=token,
        phone_number="+" + wallet,
        request_service_factory=lambda _client: ToSandbox(base_url, token),
    )
    reads = {
        "get_profile": lambda: client.get_profile(),
        "history": lambda: client.history(rows=50),
        "get_transaction_info": lambda: client.get_transaction_info(txn_id, "OUT"),
        "get_identification": lambda: client.get_identification(),
        "get_limits": lambda: client.get_limits(),
        "get_restrictions": lambda: client.get_restrictions(),
        "get_list_of_balances": lambda: client.get_list_of_balances(),
        "get_balance": lambda: client.get_balance(),
        "get_available_balances": lambda: client.get_available_balances(),
        "get_cross_rates": lambda: client.get_cross_rates(),
        "get_nickname": lambda: client.get_nickname(),
    }
    results = {}
    async with client:
        for name, read in reads.items():
            try:
                results[name] = {"ok": True, "value": plain(await read())}
            except Exception as e:  # every failure is reported, none stops the others
                results[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:2000]}
    print(json.dumps(results))


if __name__ == "__main__":
    base_url, token, wallet, txn_id = sys.argv[1:5]
    asyncio.run(main(base_url, token, wallet, int(txn_id)))
