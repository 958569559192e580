from rest_framework import serializers

from tongzhirong.accounts.models import Organisation, User


class OrganisationOutput(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ("id", "kind", "name", "short_name")


class MeOutput(serializers.ModelSerializer):
    organisation = OrganisationOutput(read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "first_name", "last_name", "email", "role", "organisation")
