from django import template

from hub.navigation import NavLink, links_for

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation_links(context) -> list[NavLink]:
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return links_for(user, request.path if request is not None else "")
