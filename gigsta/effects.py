"""Everything a booking action causes besides its state change, in one table.

Read it per action, left to right:
- `in_transaction`: written in the same database transaction as the change; rolls back with it
  (ledger rows, partner webhook deliveries).
- `tasks`: reach the outside world (emails, Stripe): queued in the same transaction (an
  outbox) with the booking's and the event's ids, run by the worker once it is committed,
  retried while the other side is down (gigsta/tasks.py).
- `refund`: how much of what the client paid goes back (bookings/terms.py); `refunds_record`
  writes it into the ledger, `refunds_send` sends the card refunds.

An action missing here causes nothing else. bookings.services.booking_transition runs the
table (through bookings.effects, named by settings.BOOKING_EFFECTS); start-up checks that
every key is an action of bookings/state_machine.py. The project package composes the apps
here, so bookings never imports payments.
"""

from bookings.effects import Effects
from bookings.notifications import (
    change_notify,
    dispute_staff_email,
    message_email,
    message_notify,
    notify_parties,
    reminder_email,
    reminder_notify,
)
from bookings.state_machine import ActionName as N
from bookings.state_machine import State as S
from bookings.terms import refund_all, refund_asked, refund_none, refund_on_cancel
from payments.services.checkout import checkouts_close
from payments.services.manual import manual_payment_record
from payments.services.refunds import refunds_record, refunds_send
from webhooks.services import webhooks_queue, webhooks_queue_message


def _effects(*, writes=(), tasks=(), refund=None) -> Effects:
    """Every change also queues its partner webhooks (`webhooks_queue`, last, so it sees the
    change's own writes) and tells the other party: in their inbox (`change_notify`) and by
    email (`notify_parties`, first), the same people."""
    return Effects(
        in_transaction=(change_notify, *writes, webhooks_queue), tasks=(notify_parties, *tasks), refund=refund
    )


_notify = _effects()
# The booking no longer waits for the payment its open card checkouts were for: close them.
_paid = _effects(writes=(manual_payment_record,), tasks=(checkouts_close,))
_settled = _effects(tasks=(checkouts_close,))


def _refunding(rule) -> Effects:
    return _effects(writes=(refunds_record,), tasks=(refunds_send, checkouts_close), refund=rule)


EFFECTS: dict[str, Effects] = {
    N.REQUEST: _notify,
    N.ACCEPT: _notify,
    N.DECLINE: _notify,
    N.OFFER: _notify,  # a revised offer too: the client is told the new terms
    N.ACCEPT_OFFER: _notify,
    N.DECLINE_OFFER: _notify,
    N.WITHDRAW: _settled,
    N.MARK_DEPOSIT_PAID: _paid,
    N.MARK_PAID: _paid,
    # N.PAY opens a checkout (payments.services.checkout.checkout_start) and changes nothing.
    N.CONFIRM_DEPOSIT: _settled,
    N.CONFIRM_PAYMENT: _settled,
    N.REMIND_BALANCE: _notify,
    N.CANCEL_UNPAID: _refunding(refund_none("Balance not paid: the deposit is kept", leaving=S.DEPOSIT_PAID)),
    N.CANCEL: _refunding(refund_on_cancel),
    N.COMPLETE: _notify,
    N.DISPUTE: _effects(tasks=(dispute_staff_email,)),  # and GigSta's staff, who resolve it
    N.RESOLVE_RELEASE: _notify,
    N.RESOLVE_REFUND: _effects(
        writes=(refunds_record,),
        tasks=(refunds_send,),
        refund=refund_all("Dispute resolved by GigSta staff: everything back"),
    ),
    # The amount staff decided goes back; the booking is completed, so the rest is paid out to a
    # card booking's provider by the payout timers (payments.services.payouts), reduced by it.
    N.RESOLVE_PARTIAL: _effects(
        writes=(refunds_record,),
        tasks=(refunds_send,),
        refund=refund_asked("Dispute resolved by GigSta staff"),
    ),
    N.EXPIRE: _refunding(refund_none("Balance never paid: the deposit is kept", leaving=S.DEPOSIT_PAID)),
    N.AUTO_COMPLETE: _notify,
    # A new time proposed, answered or withdrawn: the other party hears of it (the booking page,
    # the feeds and the reminders read the booking's time, which only accept_reschedule moves).
    N.RESCHEDULE: _notify,
    N.ACCEPT_RESCHEDULE: _notify,
    N.DECLINE_RESCHEDULE: _notify,
    N.WITHDRAW_RESCHEDULE: _notify,
}

# A new message in a booking's thread (bookings.services.message_create): the parties' partner
# webhooks (`message.created`), the inbox line of the parties besides the author, and the email
# to whoever has not read it (at most one per thread every 10 minutes while it waits unread).
MESSAGE_EFFECTS = Effects(in_transaction=(message_notify, webhooks_queue_message), tasks=(message_email,))

# A reminder the timers send (bookings.reminders): the inbox line and the email of the parties it
# is for.
REMINDER_EFFECTS = Effects(in_transaction=(reminder_notify,), tasks=(reminder_email,))
