"""Lists across pages: the page numbers to offer and the link to each, keeping the list's filters."""

from django import template

register = template.Library()


@register.simple_tag
def page_numbers(page_obj) -> list:
    """The page numbers to link around the current one: the first and last, two either side of the current, and
    the paginator's ellipsis (…) for the gaps."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1))


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """The current list's address on page ``number``, with its filters and order as they are."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None: a template reads a dict by a key it holds in a variable."""
    return mapping.get(key) if mapping else None
