from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.AuditView.as_view(), name="evidence-audit"),
    path("checkpoints/", views.CheckpointListView.as_view(), name="evidence-checkpoints"),
    path("checkpoints/<int:pk>/", views.CheckpointFileView.as_view(), name="evidence-checkpoint-file"),
]
