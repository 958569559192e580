"""What every input serializer of the API shares."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers


class RejectsUnknownFields:
    """Mix into an input serializer so that a field it does not take is an error instead of silently dropped:
    a typo, or an attempt to set what the caller may not (``owner``, ``uscc``), should be seen. Names in
    ``fixed_fields`` exist on the object but cannot be written here."""

    fixed_fields: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [_("This field cannot be changed.") if name in self.fixed_fields else _("Unknown field.")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)
