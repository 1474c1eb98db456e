"""The Connect side of FakeStripe: Express accounts, account links and their hosted onboarding
page, transfers and transfer reversals, the platform's balance transactions, charges as
`charge.refunded` and disputes show them. Shaped like the Stripe API reference; a mixin of
FakeStripe (payments/tests/fake_stripe.py), which routes to it.

Processing fees are left out: every balance transaction's `fee` is 0, so the platform's balance
is the plain sum of charges, refunds, disputes, transfers and reversals.
"""

from __future__ import annotations

import copy
import html
import secrets
import time

ACCOUNTS = "/v1/accounts"
ACCOUNT_LINKS = "/v1/account_links"
TRANSFERS = "/v1/transfers"
BALANCE_TRANSACTIONS = "/v1/balance_transactions"
ONBOARDING = "/connect/onboard/"
LINK_LIFETIME = 300  # Stripe's account links expire after a few minutes
REQUIREMENTS = ["external_account", "individual.dob.day", "tos_acceptance.date"]


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


class ConnectFake:
    """Mixed into FakeStripe. Public state for assertions: `accounts`, `account_links` (by the
    token in their URL), `transfers`, `balance_transactions` (oldest first), `disputes`."""

    def _connect_init(self) -> None:
        self.accounts: dict[str, dict] = {}
        self.account_links: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.balance_transactions: list[dict] = []
        self.disputes: dict[str, dict] = {}
        self.onboarding_outcome = "payouts_on"  # or "pending": details sent, Stripe still verifying

    # -- balance ---------------------------------------------------------------------------------

    def _balance_add(self, type: str, amount: int, currency: str, source: str) -> dict:
        txn = {
            "id": _new_id("txn"),
            "object": "balance_transaction",
            "type": type,
            "amount": amount,
            "fee": 0,
            "net": amount,
            "currency": currency,
            "source": source,
            "status": "available",
            "created": int(time.time()),
        }
        self.balance_transactions.append(txn)
        return txn

    def balance(self, currency: str = "eur") -> int:
        """The platform's balance: the sum of its balance transactions in `currency`."""
        return sum(t["net"] for t in self.balance_transactions if t["currency"] == currency.lower())

    # -- test controls ---------------------------------------------------------------------------

    def account_event(self, account_id: str, type: str = "account.updated", **changes) -> dict:
        """Change an account as Stripe would (verification done, payouts paused…) and return the
        Connect event about it: the envelope names the account, as for every Connect event."""
        with self._lock:
            account = self.accounts[account_id]
            account.update(changes)
            obj = account if type == "account.updated" else {"id": "ca_test_gigsta", "object": "application"}
            event = self.event(type, obj)
            event["account"] = account_id
            return event

    def onboard(self, account_id: str, outcome: str | None = None) -> dict:
        """The provider filled in the hosted onboarding form: the account's new state and its event."""
        outcome = outcome or self.onboarding_outcome
        on = outcome == "payouts_on"
        return self.account_event(
            account_id,
            details_submitted=True,
            charges_enabled=on,
            payouts_enabled=on,
            capabilities={"transfers": "active" if on else "pending"},
            requirements={"currently_due": [], "eventually_due": [], "disabled_reason": None if on else "under_review"},
        )

    def charge_of(self, intent_id: str) -> dict:
        intent = self.payment_intents[intent_id]
        refunds = [r for r in self.refunds.values() if r["payment_intent"] == intent_id]
        refunded = sum(r["amount"] for r in refunds)
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount_received"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": refunded,
            "refunded": refunded == intent["amount_received"],
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "metadata": dict(intent["metadata"]),
            "transfer_group": intent.get("transfer_group"),
            "refunds": {"object": "list", "data": copy.deepcopy(refunds), "has_more": False},
        }

    def refund_in_dashboard(self, intent_id: str, amount: int | None = None) -> dict:
        """Someone refunded the charge in the Stripe dashboard: the refund and `charge.refunded`."""
        with self._lock:
            params = {"payment_intent": intent_id} | ({"amount": str(amount)} if amount else {})
            self._create_refund(params)
            return self.event("charge.refunded", self.charge_of(intent_id))

    def dispute(self, intent_id: str, amount: int | None = None) -> dict:
        """The cardholder disputed the charge with their bank: Stripe takes the amount from the
        platform's balance and sends `charge.dispute.created`."""
        with self._lock:
            charge = self.charge_of(intent_id)
            dispute = {
                "id": _new_id("dp"),
                "object": "dispute",
                "amount": amount or charge["amount"],
                "currency": charge["currency"],
                "charge": charge["id"],
                "payment_intent": intent_id,
                "reason": "fraudulent",
                "status": "needs_response",
                "metadata": {},
                "created": int(time.time()),
            }
            self.disputes[dispute["id"]] = dispute
            self._balance_add("adjustment", -dispute["amount"], dispute["currency"], dispute["id"])
            return self.event("charge.dispute.created", dispute)

    def dispute_close(self, dispute_id: str, *, won: bool) -> dict:
        with self._lock:
            dispute = self.disputes[dispute_id]
            dispute["status"] = "won" if won else "lost"
            if won:
                self._balance_add("adjustment", dispute["amount"], dispute["currency"], dispute_id)
            return self.event("charge.dispute.closed", dispute)

    # -- API -------------------------------------------------------------------------------------

    def _route_connect(self, method: str, path: str, params: dict) -> tuple[int, dict] | None:
        from payments.tests.fake_stripe import StripeError

        if method == "POST" and path == ACCOUNTS:
            return 200, self._create_account(params)
        if method == "POST" and path == ACCOUNT_LINKS:
            return 200, self._create_account_link(params)
        if method == "POST" and path == TRANSFERS:
            return 200, self._create_transfer(params)
        if method == "POST" and path.startswith(TRANSFERS + "/") and path.endswith("/reversals"):
            return 200, self._create_reversal(path.removeprefix(TRANSFERS + "/").removesuffix("/reversals"), params)
        if method == "GET" and path == BALANCE_TRANSACTIONS:
            return 200, {"object": "list", "data": copy.deepcopy(self.balance_transactions[::-1]), "has_more": False}
        stores = {ACCOUNTS: ("account", self.accounts), TRANSFERS: ("transfer", self.transfers)}
        prefix, _, object_id = path.rpartition("/")
        if method == "GET" and prefix in stores:
            name, store = stores[prefix]
            if object_id not in store:
                raise StripeError(404, f"No such {name}: '{object_id}'", param="id", code="resource_missing")
            return 200, copy.deepcopy(store[object_id])
        return None

    def _create_account(self, params: dict) -> dict:
        from payments.tests.fake_stripe import StripeError, _required

        if _required(params, "type") != "express":
            raise StripeError(400, "FakeStripe only implements Express accounts.", param="type")
        account = {
            "id": _new_id("acct"),
            "object": "account",
            "type": "express",
            "email": params.get("email"),
            "country": params.get("country", "DE"),
            "default_currency": "eur",
            "details_submitted": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "capabilities": dict.fromkeys(params.get("capabilities", {}), "inactive"),
            "requirements": {"currently_due": list(REQUIREMENTS), "eventually_due": [], "disabled_reason": None},
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.accounts[account["id"]] = account
        self.creations[ACCOUNTS] += 1
        return copy.deepcopy(account)

    def _create_account_link(self, params: dict) -> dict:
        from payments.tests.fake_stripe import StripeError, _required

        account_id = _required(params, "account")
        if account_id not in self.accounts:
            raise StripeError(400, f"No such account: '{account_id}'", param="account", code="resource_missing")
        if _required(params, "type") not in ("account_onboarding", "account_update"):
            raise StripeError(400, "Invalid type.", param="type")
        token = secrets.token_urlsafe(12)
        created = int(time.time())
        self.account_links[token] = {
            "account": account_id,
            "refresh_url": _required(params, "refresh_url"),
            "return_url": _required(params, "return_url"),
            "expires_at": created + LINK_LIFETIME,
            "used": False,
        }
        self.creations[ACCOUNT_LINKS] += 1
        return {
            "object": "account_link",
            "url": f"{self.base}{ONBOARDING}{token}",
            "created": created,
            "expires_at": created + LINK_LIFETIME,
        }

    def _create_transfer(self, params: dict) -> dict:
        from payments.tests.fake_stripe import StripeError, _positive_int, _required

        amount = _positive_int(params.get("amount"), "amount")
        currency = _required(params, "currency").lower()
        destination = _required(params, "destination")
        account = self.accounts.get(destination)
        if account is None:
            raise StripeError(
                400, f"No such destination: '{destination}'", param="destination", code="resource_missing"
            )
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(
                400,
                "Your destination account needs to have at least one of the following capabilities enabled: "
                "transfers, crypto_transfers, legacy_payments",
                param="destination",
                code="insufficient_capabilities_for_transfer",
            )
        if self.balance(currency) < amount:
            raise StripeError(
                400,
                "You have insufficient available funds in your Stripe account.",
                code="balance_insufficient",
            )
        transfer = {
            "id": _new_id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": currency,
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "reversed": False,
            "reversals": {"object": "list", "data": [], "has_more": False},
            "created": int(time.time()),
        }
        transfer["balance_transaction"] = self._balance_add("transfer", -amount, currency, transfer["id"])["id"]
        self.transfers[transfer["id"]] = transfer
        self.creations[TRANSFERS] += 1
        return copy.deepcopy(transfer)

    def _create_reversal(self, transfer_id: str, params: dict) -> dict:
        from payments.tests.fake_stripe import StripeError, _positive_int

        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise StripeError(404, f"No such transfer: '{transfer_id}'", param="id", code="resource_missing")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = _positive_int(params.get("amount", remaining), "amount")
        if amount > remaining:
            raise StripeError(
                400,
                f"Reversal amount ({amount}) is greater than the transfer's unreversed amount ({remaining}).",
                param="amount",
            )
        reversal = {
            "id": _new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": transfer["currency"],
            "transfer": transfer_id,
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        reversal["balance_transaction"] = self._balance_add(
            "transfer_refund", amount, transfer["currency"], reversal["id"]
        )["id"]
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        self.creations[TRANSFERS + "/reversals"] += 1
        return copy.deepcopy(reversal)

    # -- hosted onboarding page ------------------------------------------------------------------

    def _onboarding_link(self, token: str) -> dict | None:
        link = self.account_links.get(token)
        if link is None or link["used"] or link["expires_at"] < time.time():
            return None
        return link

    def onboarding_page(self, token: str) -> tuple[int, str, dict[str, str]]:
        """GET: the form, or (a used or expired link) a redirect to the platform's refresh URL."""
        link = self.account_links.get(token)
        if link is None:
            return 404, "<p>No such onboarding link.</p>", {}
        if self._onboarding_link(token) is None:
            return 303, "", {"Location": link["refresh_url"]}
        account = self.accounts[link["account"]]
        return (
            200,
            '<!doctype html><html><head><meta charset="utf-8"><title>Fake Stripe Express onboarding</title></head>'
            f"<body><h1>Get paid by GigSta</h1><p>Account {html.escape(account['id'])}, "
            f"{html.escape(account.get('email') or '')}</p>"
            f'<form method="post" action="{ONBOARDING}{html.escape(token)}">'
            '<button type="submit">Submit test details</button></form>'
            f'<a href="{html.escape(link["return_url"])}">Return to GigSta without finishing</a></body></html>',
            {"Content-Type": "text/html; charset=utf-8"},
        )

    def onboarding_submit(self, token: str) -> tuple[int, str, dict[str, str]]:
        """POST: the account is onboarded, `account.updated` goes to the webhook, then back to GigSta."""
        with self._lock:
            link = self._onboarding_link(token)
            if link is None:
                stale = self.account_links.get(token)
                return (303, "", {"Location": stale["refresh_url"]}) if stale else (404, "<p>No such link.</p>", {})
            link["used"] = True
            event = self.onboard(link["account"])
        self._send_webhook(event)
        return 303, "", {"Location": link["return_url"]}

    def _send_webhook(self, event: dict) -> None:
        if self.webhook_url is None:
            return
        try:
            status = self.deliver(event, self.webhook_url)
        except OSError:
            status = None
        with self._lock:
            self.deliveries.append((event["type"], status))
