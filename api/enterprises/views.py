"""The SME's own enterprise profile: read it, create it once, change what may change. One URL, no id: each
SME organisation has exactly one profile, reached through the caller."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import PROBLEM_CONTENT_TYPE, ProblemSerializer
from api.idempotency import IdempotentMixin
from api.permissions import InOrganisationKind
from tongzhirong.accounts.models import OrganisationKind
from tongzhirong.core.errors import NotFound
from tongzhirong.enterprises.selectors import enterprise_of
from tongzhirong.enterprises.services import enterprise_create, enterprise_update

from .serializers import EnterpriseCreateInput, EnterpriseOutput, EnterpriseUpdateInput

NOT_FOUND_RESPONSE = {(404, PROBLEM_CONTENT_TYPE): ProblemSerializer}


class EnterpriseProfileView(IdempotentMixin, APIView):
    permission_classes = [InOrganisationKind]
    allowed_kinds = (OrganisationKind.SME,)
    kind_denied_message = gettext_lazy("Only an SME has an enterprise profile.")

    def _own(self, request):
        enterprise = enterprise_of(user=request.user)
        if enterprise is None:
            raise NotFound(_("Your organisation has no enterprise profile yet: create it with POST."))
        return enterprise

    @extend_schema(
        responses={200: EnterpriseOutput, **NOT_FOUND_RESPONSE},
        summary="Your enterprise profile (404 until it is created)",
    )
    def get(self, request):
        return Response(EnterpriseOutput(self._own(request)).data)

    @extend_schema(
        request=EnterpriseCreateInput,
        responses={201: EnterpriseOutput},
        summary="Create your enterprise profile: once per SME (409 `duplicate` after that); the USCC is checked",
    )
    def post(self, request):
        data = EnterpriseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        enterprise = enterprise_create(
            actor=request.user, organisation=request.user.organisation, **data.validated_data
        )
        return Response(EnterpriseOutput(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EnterpriseUpdateInput,
        responses={200: EnterpriseOutput, **NOT_FOUND_RESPONSE},
        summary="Change your enterprise profile; the organisation and the USCC cannot change",
    )
    def patch(self, request):
        enterprise = self._own(request)
        data = EnterpriseUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        enterprise = enterprise_update(enterprise=enterprise, actor=request.user, **data.validated_data)
        return Response(EnterpriseOutput(enterprise).data)
