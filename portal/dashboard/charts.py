"""The dashboard's charts: SVG drawn on the server by pygal, made safe and accessible here.

pygal draws the chart; what it emits is then rebuilt through an allowlist of SVG elements and
attributes, so nothing it (or a school's name in a label) could carry survives that the page's
Content-Security-Policy would refuse or that could run: its config <script>, its <style> (the
look is in static/dashboard.css), comments, event handlers, links and style attributes are all
dropped. The chart is then an image to assistive technology (role="img") named by its own
<title> and described by a <desc> saying what it shows; the same figures are in a table beside it.

No meaning rests on colour alone: each series also has its own fill pattern (defined once per
page, static/dashboard.css and templates/dashboard/_patterns.html), each bar carries its number,
and the legend names each series beside its patterned swatch.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pygal
from markupsafe import Markup
from pygal.style import Style

from portal.dashboard.service import Table

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)

ALLOWED_ELEMENTS = {"svg", "g", "path", "rect", "circle", "line", "polyline", "polygon", "text", "tspan", "title",
                    "desc", "defs"}
ALLOWED_ATTRIBUTES = {"class", "d", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width", "height",
                      "transform", "text-anchor", "viewBox", "points", "id"}
# pygal's random chart ids and its own tooltip descriptions are dropped; ids are ours.
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# Plain colours of the GOV.UK palette for pygal's own use; static/dashboard.css sets the look.
_STYLE = Style(
    background="transparent", plot_background="transparent", foreground="#0b0c0c", foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f", opacity="1", opacity_hover="1", transition="0s",
    colors=("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c"),
    font_family="Arial, sans-serif", label_font_size=14, major_label_font_size=14, value_font_size=13,
    legend_font_size=15, title_font_size=18,
)


def _base_config(**extra) -> dict:
    config = dict(
        style=_STYLE, js=[], disable_xml_declaration=True, no_prefix=True, show_legend=True,
        legend_at_bottom=True, print_values=True, print_zeroes=False, print_values_position="top",
        width=800, height=420, margin=16, spacing=12, title=None, show_y_guides=True,
    )
    config.update(extra)
    return config


def _int_or_none(value):
    return value if isinstance(value, (int, float)) and value else None


def _percent_value(text):
    if isinstance(text, str) and text.endswith("%"):
        return int(text[:-1])
    return None


def _hours_value(text):
    if isinstance(text, str) and _NUMBER.match(text):
        return float(text)
    return None


def _count_ticks(top: int) -> list[int]:
    """Whole-number ticks for counts (pygal would write 2.2 referrals)."""
    top = max(int(top), 1)
    step = max(math.ceil(top / 5), 1)
    return list(range(0, top + step, step))


def draw(table: Table) -> Markup:
    """The table's chart as safe, accessible inline SVG."""
    rows = table.rows
    labels = [str(row[0]) for row in rows]
    if table.kind == "stacked_weeks":
        top = max([sum(v for v in row[1:1 + len(table.series)] if isinstance(v, int)) for row in rows] + [1])
        chart = pygal.StackedBar(**_base_config(x_label_rotation=-45, show_minor_x_labels=False,
                                                y_labels=_count_ticks(top)))
        chart.x_labels = labels
        chart.x_labels_major = labels[:: max(len(labels) // 8, 1)]
        for i, name in enumerate(table.series):
            chart.add(name, [_int_or_none(row[1 + i]) for row in rows])
    elif table.kind == "share_weeks":
        chart = pygal.Bar(**_base_config(x_label_rotation=-45, range=(0, 100), show_minor_x_labels=False,
                                         value_formatter=lambda v: f"{v:.0f}%"))
        chart.x_labels = labels
        chart.x_labels_major = labels[:: max(len(labels) // 8, 1)]
        chart.add("Share decided within one working day", [_percent_value(row[3]) for row in rows])
    elif table.kind == "median_weeks":
        chart = pygal.Bar(**_base_config(x_label_rotation=-45, show_minor_x_labels=False,
                                         value_formatter=lambda v: f"{v:.1f}"))
        chart.x_labels = labels
        chart.x_labels_major = labels[:: max(len(labels) // 8, 1)]
        chart.add("Median hours to decision", [_hours_value(row[2]) for row in rows])
    else:  # "bars": one bar per row, labelled, longest first
        height = max(160, 48 * len(rows) + 120)
        top = max([row[1] for row in rows if isinstance(row[1], int)] + [1])
        chart = pygal.HorizontalBar(**_base_config(show_legend=False, height=height, y_labels=_count_ticks(top)))
        chart.x_labels = list(reversed(labels))
        chart.add(table.head[1], [_int_or_none(row[1]) for row in reversed(rows)])
    return Markup(sanitise(chart.render(is_unicode=True), chart_id=f"chart-{table.key}",
                           title=table.title, description=table.description))


def sanitise(svg_text: str, *, chart_id: str, title: str, description: str) -> str:
    """pygal's SVG rebuilt through the allowlist, named and described for assistive technology."""
    source = ET.fromstring(svg_text)
    root = ET.Element(f"{{{SVG}}}svg")
    root.set("viewBox", source.get("viewBox", "0 0 800 420"))
    root.set("class", "portal-chart")
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    root.set("focusable", "false")
    title_el = ET.SubElement(root, f"{{{SVG}}}title", {"id": f"{chart_id}-title"})
    title_el.text = title
    desc_el = ET.SubElement(root, f"{{{SVG}}}desc", {"id": f"{chart_id}-desc"})
    desc_el.text = description
    for child in source:
        copied = _copy(child)
        if copied is not None:
            root.append(copied)
    return ET.tostring(root, encoding="unicode")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _copy(element):
    name = _local(element.tag)
    if name not in ALLOWED_ELEMENTS or name in ("title", "desc"):
        return None  # pygal's per-point descriptions are for its script's tooltips: the table has the figures
    classes = element.get("class", "")
    if "tooltip" in classes.split():
        return None
    copy = ET.Element(f"{{{SVG}}}{name}")
    for attribute, value in element.attrib.items():
        if attribute in ALLOWED_ATTRIBUTES and attribute != "id":
            copy.set(attribute, value)
    copy.text = element.text if name in ("text", "tspan") else None
    for child in element:
        copied = _copy(child)
        if copied is not None:
            copy.append(copied)
        if child.tail and name in ("text", "tspan"):
            (copied if copied is not None else copy).tail = child.tail
    return copy
