from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings"

    def ready(self) -> None:
        from bookings.notifications import notify_parties
        from bookings.services import AFTER_COMMIT
        from bookings.state_machine import ACTIONS, REQUEST

        for action in (*ACTIONS, REQUEST):
            if action.target is not None:
                AFTER_COMMIT.setdefault(action.name, []).append(notify_parties)
