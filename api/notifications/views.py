from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.idempotency import IdempotentMixin
from tongzhirong.notifications.models import Notification
from tongzhirong.notifications.selectors import notification_list
from tongzhirong.notifications.services import notification_mark_read

from .serializers import NotificationOutput


class NotificationViewSet(IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Notification.objects.none()  # for the schema; requests use the scoped selector
    serializer_class = NotificationOutput
    filterset_fields = {"read_at": ["isnull"]}

    def get_queryset(self):
        return notification_list(user=self.request.user)

    @extend_schema(summary="Your notifications, newest first; `read_at__isnull=true` lists the unread ones")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=NotificationOutput, summary="Mark one of your notifications read")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(NotificationOutput(notification).data)
