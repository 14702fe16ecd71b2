"""The one way admin shows records only the platform writes (transactions
from the stream, dead letters, the alert outbox, rule versions, backtests,
a case's audit trail): nobody adds or changes them by hand, and some may
not be deleted either."""


class ReadOnlyAdminMixin:
    """For a ``ModelAdmin`` or an inline: no add, no change (the view page
    stays); deletion as the admin allows it, unless ``deletable`` is
    False."""

    deletable = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)
