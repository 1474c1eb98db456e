import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bookings.attachments import MAX_NAME_LENGTH as MAX_ATTACHMENT_NAME_LENGTH
from bookings.attachments import attachment_storage_get
from bookings.state_machine import PaymentMethod, State, balance_cancel_at, balance_due_at, payout_release_at
from catalog.models import MAX_DEPOSIT_PERCENT, MAX_DURATION_MINUTES, MAX_PRICE_MINOR, MIN_DURATION_MINUTES, Service

STATE_CHOICES = [(s.value, s.value.replace("_", " ").capitalize()) for s in State]
# Length limits, in one place: models, forms, API schemas, services and templates read them.
MAX_NOTE_LENGTH = 1000
MAX_MESSAGE_LENGTH = 2000  # the message with a request, and each message in a booking's thread
MAX_REVIEW_LENGTH = 2000
MAX_REPLY_LENGTH = 1000  # the reviewed party's one public answer to a review
MAX_MODERATION_REASON_LENGTH = 500
# The two-way blind rule: a review is published when both parties have reviewed, or this many
# days after the booking was completed, whichever comes first.
REVIEW_BLIND_DAYS = 14
MAX_VENUE_LENGTH = 200
# How far ahead a gig may be requested: far enough for any wedding, near enough that every
# date and end time stays well inside what Python and the databases can represent.
MAX_YEARS_AHEAD = 10
# The smallest price an offer may ask (1.00), as for a listing.
MIN_OFFER_MINOR = 100


class Booking(models.Model):
    """A client's booking of one service for one slot. Its state changes only through
    bookings.services.booking_transition, which also writes the BookingEvent."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_made")
    # Copied from the service: overlap checks and "my bookings" need it without a join.
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_received")
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=State.REQUESTED, db_index=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(max_length=MAX_VENUE_LENGTH)
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    # The price when requested: later changes to the listing do not change this booking.
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # The terms when requested, so later changes to settings or the listing do not change
    # this booking: how it is paid, the platform fee, the deposit and the cancellation policy.
    payment_method = models.CharField(
        max_length=8,
        choices=[(m.value, m.value) for m in PaymentMethod],
        default=PaymentMethod.MANUAL.value,
        db_default=PaymentMethod.MANUAL.value,
    )
    fee_bps = models.PositiveIntegerField("platform fee (basis points)", default=0, db_default=0)
    deposit_percent = models.PositiveSmallIntegerField(default=0, db_default=0)
    balance_due_days = models.PositiveSmallIntegerField(default=0, db_default=0)
    balance_cancel_days = models.PositiveSmallIntegerField(default=0, db_default=0)
    # Card bookings: the deposit is paid out to the provider once captured, not after the gig.
    deposit_paid_early = models.BooleanField(default=False, db_default=False)
    cancellation_policy = models.JSONField(
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        help_text="[[days before the gig, percent refunded to the client], …]",
    )
    # The provider's offer on the table while offered, and the one the booking was accepted at
    # after accept_offer; null otherwise. Every offer ever sent is an Offer row (booking.offers).
    offer = models.ForeignKey("Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The new time one party proposed, while it waits for the other's answer; null otherwise.
    # Every proposal stays a RescheduleProposal row (booking.reschedules).
    reschedule = models.ForeignKey(
        "RescheduleProposal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When GigSta staff resolved the booking's dispute: a booking is disputed once, and the
    # decision stands (state_machine._within_dispute_window).
    dispute_resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["provider", "state", "starts_at"], name="booking_provider_state_start"),
            models.Index(fields=["client", "state"], name="booking_client_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(condition=~Q(client=F("provider")), name="booking_not_own_service"),
            models.CheckConstraint(condition=Q(state__in=[s.value for s in State]), name="booking_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=State.OFFERED) | Q(offer__isnull=False), name="booking_offered_has_offer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.title} on {self.starts_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def reference(self) -> str:
        """A short reference for bank transfers and support: GS-1A2B3C4D."""
        return f"GS-{self.public_id.hex[:8].upper()}"

    @property
    def balance_due_at(self):
        return balance_due_at(self)

    @property
    def payout_release_at(self):
        return payout_release_at(self)

    @property
    def balance_cancel_at(self):
        return balance_cancel_at(self)

    @property
    def open_offer(self) -> "Offer | None":
        """The offer waiting for the client's answer, while the booking is offered."""
        return self.offer if self.state == State.OFFERED else None

    @property
    def offer_expires_at(self):
        offer = self.open_offer
        return offer.expires_at if offer else None

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def open_reschedule(self) -> "RescheduleProposal | None":
        """The new time waiting for the other party's answer (the state machine's guards read it)."""
        return self.reschedule


class BookingEvent(models.Model):
    """One line of a booking's audit trail. Written once, never changed."""

    class Source(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        SYSTEM = "system", "System"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    note = models.TextField(max_length=MAX_NOTE_LENGTH, blank=True)
    # The amount an action carried (state_machine.Action.takes_amount): what staff refunded of a
    # disputed booking with resolve_partial, in the booking's currency's minor units.
    amount_minor = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Booking events are immutable.")
        super().save(*args, **kwargs)


class Offer(models.Model):
    """A provider's answer to a request with terms of their own. Written once, never changed: a
    revised offer is a new row, and the booking points at the one on the table (Booking.offer).
    Sent through bookings.services.offer_send, which also writes the BookingEvent."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="offers")
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    duration_minutes = models.PositiveIntegerField()
    deposit_percent = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(max_length=MAX_NOTE_LENGTH, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_minor__gte=MIN_OFFER_MINOR) & Q(price_minor__lte=MAX_PRICE_MINOR),
                name="offer_price_range",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES) & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="offer_duration_range",
            ),
            models.CheckConstraint(condition=Q(deposit_percent__lte=MAX_DEPOSIT_PERCENT), name="offer_deposit_range"),
        ]

    def __str__(self) -> str:
        return f"{self.price_minor} {self.currency} for {self.duration_minutes} min (booking {self.booking_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Offers are immutable: send a new one.")
        super().save(*args, **kwargs)


class RescheduleProposal(models.Model):
    """One party's proposal to move a booking to another time, at the same length; the other
    accepts or declines it, the proposer may withdraw it. Proposed through
    bookings.services.reschedule_propose and answered through booking_transition, which write the
    BookingEvents; at most one is open per booking."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Closed with the booking"  # the booking moved to a state that cannot move

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reschedules")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The booking's time when it was proposed, so the history can say what it replaced.
    was_starts_at = models.DateTimeField()
    note = models.TextField(max_length=MAX_NOTE_LENGTH, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=Q(state="open"), name="reschedule_one_open_per_booking"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="reschedule_ends_after_start"),
            models.CheckConstraint(
                condition=Q(state="open") | Q(decided_at__isnull=False), name="reschedule_decided_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} for booking {self.booking_id} ({self.state})"


class Review(models.Model):
    """One party's review of the other after a completed booking; one per party per booking.

    Blind until published (`published_at`): when the second party reviews, both are published
    together; else the timers publish it REVIEW_BLIND_DAYS after completion. Public pages and
    ratings read published reviews that staff have not hidden (`hidden_at`); every hide and
    unhide is a ReviewModeration row. The subject may answer once, in public (`reply`).
    Written only through bookings.services (review_create, review_reply, review_hide…)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written")
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=MAX_REVIEW_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Null while blind.")
    # db_default: rows written by the release before this column existed read as "no reply".
    reply = models.TextField(
        max_length=MAX_REPLY_LENGTH, blank=True, default="", db_default="", help_text="The subject's public answer."
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True, help_text="Hidden by staff: off every public page.")
    hidden_reason = models.TextField(max_length=MAX_MODERATION_REASON_LENGTH, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["subject", "published_at"], name="review_subject_published")]
        constraints = [
            models.UniqueConstraint(fields=["booking", "author"], name="review_once_per_party"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="review_rating_1_to_5"),
            models.CheckConstraint(condition=~Q(author=F("subject")), name="review_not_self"),
            models.CheckConstraint(
                condition=Q(reply="") | Q(published_at__isnull=False), name="review_reply_when_published"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ by {self.author_id} on {self.booking_id}"

    @property
    def is_public(self) -> bool:
        return self.published_at is not None and self.hidden_at is None

    @property
    def author_public_name(self) -> str:
        return public_name(self.author.display_name)


def public_name(display_name: str) -> str:
    """How public pages name a reviewer: first name and initial ("Carla C.")."""
    words = display_name.split()
    if len(words) < 2:
        return display_name
    return f"{words[0]} {words[-1][0]}."


class ReviewModeration(models.Model):
    """One staff decision on a review (hide or unhide, with the reason). Written once, never
    changed: the review's audit trail."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hidden"
        UNHIDE = "unhide", "Shown again"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="moderations")
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.TextField(max_length=MAX_MODERATION_REASON_LENGTH)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} review {self.review_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Moderation records are immutable.")
        super().save(*args, **kwargs)


class Message(models.Model):
    """One message in a booking's thread: by a party, or by GigSta staff (`as_staff`). Written
    once, never changed: staff read the thread as evidence in a dispute."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    as_staff = models.BooleanField(default=False, help_text="Written by GigSta staff, not by a party.")
    body = models.TextField(max_length=MAX_MESSAGE_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["booking", "created_at"], name="message_booking_created")]

    def __str__(self) -> str:
        return f"Message by {self.author_id or 'a deleted account'} on {self.booking_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Messages are immutable.")
        super().save(*args, **kwargs)


class MessageAttachment(models.Model):
    """A file sent with a message, checked by its content (bookings.attachments) and served only
    to the parties and staff."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="messages/", storage=attachment_storage_get, max_length=200)
    name = models.CharField(max_length=MAX_ATTACHMENT_NAME_LENGTH, help_text="The sender's file name, made safe.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(help_text="Bytes.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ThreadReader(models.Model):
    """A party's place in a booking's thread: how far they have read, and what they were last
    emailed about (bookings.notifications.message_email keeps that to one email per thread per
    MESSAGE_EMAIL_EVERY while messages wait unread)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="readers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_upto = models.DateTimeField(null=True, blank=True, help_text="The newest message they have seen.")
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_upto = models.DateTimeField(null=True, blank=True, help_text="The newest message that email told of.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "user"], name="thread_reader_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.booking_id}"


class Reminder(models.Model):
    """A reminder sent about a booking: one per booking, kind and the moment it reminds of, so
    the timers (run_timers) send each once however often they run."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", "Time to act runs out"  # to the party who must act, before their deadline
        GIG = "gig", "Gig coming up"  # to both parties, before the gig

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(help_text="The deadline, or the gig's start, that it reminds of.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "kind", "at"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
