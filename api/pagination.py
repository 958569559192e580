from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class FirstPageCountingPaginator(Paginator):
    """Django's paginator, reading the first page before counting: when it is not full, its length is the
    count, and the COUNT query is not run (a filtered queue or a small list is mostly one short page)."""

    def page(self, number):
        if str(number) != "1" or self.orphans:
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return self._get_page(rows, 1, self)


class DefaultPagination(PageNumberPagination):
    django_paginator_class = FirstPageCountingPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema):
        """DRF's, with every key required: ``next`` and ``previous`` are always there (null at either end)."""
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        return paginated
