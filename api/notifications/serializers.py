from rest_framework import serializers

from tongzhirong.notifications.models import Notification


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ("id", "title", "body", "created_at", "read_at")
