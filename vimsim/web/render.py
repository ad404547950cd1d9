"""Jinja2 templates of the web pages (autoescaped), with the helpers they
use to show model values."""
import os
import urllib.parse

import jinja2

from vimsim.web import values

TEMPLATES = os.path.join(os.path.dirname(__file__), 'templates')

_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                  trim_blocks=True, lstrip_blocks=True)


def mob_url(moid, do_path=None, method=None):
    """The MOB page of a managed object, or of a data object or method of it."""
    query = [('moid', moid)]
    if do_path:
        query.append(('doPath', do_path))
    if method:
        query.append(('method', method))
    return '/mob/?' + urllib.parse.urlencode(query)


_environment.globals.update(
    kind_of=values.kind_of, text=values.text, type_label=values.type_label,
    data_fields=values.data_fields, element_selector=values.element_selector, mob_url=mob_url)


def render(name, **context):
    return _environment.get_template(name).render(**context)
