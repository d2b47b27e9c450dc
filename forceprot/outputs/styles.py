"""QGIS styles for the run's GeoPackage, so its layers open coloured and labelled.

QGIS keeps a layer's default style in the GeoPackage table ``layer_styles`` (its own schema,
created by "Save as default" in QGIS: ``f_table_catalog``, ``f_table_schema``, ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``,
``description``, ``owner``, ``ui``, ``update_time``), registered in ``gpkg_contents`` as an
attributes table. Each style is QML (QGIS's XML style format): a renderer (single symbol,
categories of a text field, or graduated classes of a number) and, where a layer has names,
labels.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

__all__ = ["LAYER_STYLES_TABLE", "add_layer_styles", "layer_qml"]

LAYER_STYLES_TABLE = "layer_styles"
#: QGIS's schema of the table, as QGIS itself creates it.
_CREATE = f"""CREATE TABLE IF NOT EXISTS {LAYER_STYLES_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
  f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""

#: RGBA as QGIS writes colours.
_BASE, _ZONE = "40,40,40,255", "120,120,120,255"
_ENVELOPES = {"sensor_coverage": "31,120,180", "engagement_envelope": "51,160,44",
              "defended_area": "255,127,0"}
#: Yellow to dark red, for leak densities and launch risk (ColorBrewer YlOrRd, 5 classes).
_RAMP = ["255,255,178", "254,204,92", "253,141,60", "240,59,32", "189,0,38"]


def _fill(color: str, alpha: int = 255, outline: str | None = None, width: float = 0.26,
          style: str = "solid") -> str:
    outline = outline or color
    return (f'<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
            f'<Option type="QString" name="color" value="{color},{alpha}"/>'
            f'<Option type="QString" name="outline_color" value="{outline},255"/>'
            f'<Option type="QString" name="outline_width" value="{width}"/>'
            f'<Option type="QString" name="outline_width_unit" value="MM"/>'
            f'<Option type="QString" name="outline_style" value="solid"/>'
            f'<Option type="QString" name="style" value="{style}"/></Option></layer>')


def _marker(color: str, size: float, shape: str = "circle") -> str:
    return (f'<layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">'
            f'<Option type="QString" name="name" value="{shape}"/>'
            f'<Option type="QString" name="color" value="{color},255"/>'
            f'<Option type="QString" name="outline_color" value="35,35,35,255"/>'
            f'<Option type="QString" name="outline_width" value="0.2"/>'
            f'<Option type="QString" name="size" value="{size}"/>'
            f'<Option type="QString" name="size_unit" value="MM"/></Option></layer>')


def _symbol(name: str, kind: str, layer_xml: str) -> str:
    return (f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'{layer_xml}</symbol>')


def _single(kind: str, layer_xml: str) -> str:
    return ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{_symbol("0", kind, layer_xml)}</symbols></renderer-v2>')


def _categorized(attr: str, kind: str, categories: list[tuple[str, str, str]]) -> str:
    """``categories``: (value, label, symbol layer XML)."""
    cats = "".join(f'<category symbol="{k}" value={quoteattr(v)} label={quoteattr(lab)} '
                   f'render="true"/>' for k, (v, lab, _) in enumerate(categories))
    syms = "".join(_symbol(str(k), kind, xml) for k, (_, _, xml) in enumerate(categories))
    return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0" '
            f'enableorderby="0" forceraster="0"><categories>{cats}</categories>'
            f'<symbols>{syms}</symbols></renderer-v2>')


def _graduated(attr: str, values: pd.Series, alpha: int) -> str:
    """Five quantile classes of ``attr`` (nulls left undrawn), yellow to dark red."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(float)
    if len(v) == 0:
        v = np.array([0.0, 1.0])
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, len(_RAMP) + 1)))
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0] + 1.0])
    ranges, syms = [], []
    for k in range(len(edges) - 1):
        lo, hi = float(edges[k]), float(edges[k + 1])
        colour = _RAMP[min(len(_RAMP) - 1, round(k * (len(_RAMP) - 1) / max(1, len(edges) - 2)))]
        ranges.append(f'<range symbol="{k}" lower="{lo:.9g}" upper="{hi:.9g}" '
                      f'label="{lo:.3g} – {hi:.3g}" render="true"/>')
        syms.append(_symbol(str(k), "fill", _fill(colour, alpha, outline="128,128,128",
                                                      width=0.1)))
    return (f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(attr)} '
            f'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><ranges>{"".join(ranges)}</ranges>'
            f'<symbols>{"".join(syms)}</symbols></renderer-v2>')


def _labels(field: str, size: float = 9.0) -> str:
    return ('<labeling type="simple"><settings calloutType="simple">'
            f'<text-style fieldName={quoteattr(field)} isExpression="0" fontSize="{size}" '
            'fontSizeUnit="Point" textColor="20,20,20,255" fontFamily="Sans Serif"/>'
            '<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" '
            'bufferColor="255,255,255,255"/>'
            '<placement placement="0" dist="1.5" distUnits="MM"/>'
            '<rendering drawLabels="1" scaleVisibility="0"/></settings></labeling>')


def layer_qml(layer: str, frame: pd.DataFrame) -> str:
    """The QML style of one run layer (``frame`` gives the classes of graduated layers)."""
    labels = ""
    if layer == "base":
        renderer = _single("fill", _fill(_BASE, 0, width=0.8, style="no"))
        labels = _labels("name", 10.0)
    elif layer == "launch_zone":
        renderer = _single("fill", _fill(_ZONE, 40, width=0.4, style="solid"))
    elif layer == "leak_grid":
        renderer = _graduated("leaker_density_per_km2_per_salvo",
                              frame.get("leaker_density_per_km2_per_salvo", pd.Series([])), 200)
    elif layer == "launch_risk":
        renderer = _graduated("leakers_per_salvo",
                              frame.get("leakers_per_salvo", pd.Series([])), 150)
    elif layer == "assets":
        renderer = _graduated("p_hit", frame.get("p_hit", pd.Series([])), 110)
        labels = _labels("name")
    elif layer == "exposure":
        renderer = _graduated("expected_casualties_per_salvo",
                              frame.get("expected_casualties_per_salvo", pd.Series([])), 170)
        labels = _labels("name")
    elif layer == "defence_envelopes":
        renderer = _categorized("feature", "fill", [
            (f, f.replace("_", " "), _fill(c, 30, width=0.5)) for f, c in _ENVELOPES.items()])
    elif layer == "defences":
        renderer = _categorized("kind", "marker", [
            ("cram", "C-RAM-class gun", _marker("51,160,44", 3.2, "triangle")),
            ("patriot", "Patriot-class battery", _marker("31,120,180", 3.6, "square"))])
        labels = _labels("name")
    elif layer == "impacts":
        renderer = _categorized("leaked", "marker", [
            ("1", "leaked", _marker("227,26,28", 1.6)),
            ("0", "intercepted or outside", _marker("160,160,160", 1.0))])
    else:
        renderer = _single("fill", _fill(_ZONE, 60))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
            f"{renderer}{labels}</qgis>")


def add_layer_styles(path: Path, layers: dict[str, pd.DataFrame], *,
                     geometry_column: str = "geom") -> None:
    """Store each layer's QML as its default style in the GeoPackage ``path``.

    Parameters
    ----------
    path : Path
        A GeoPackage already holding the tables named by ``layers`` (GDAL names their geometry
        column ``geom``).
    layers : dict of str to DataFrame
        Table name to its data (for class breaks).
    geometry_column : str
        The tables' geometry column.
    """
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(_CREATE)
            con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, "
                        "description, last_change) VALUES (?, 'attributes', ?, "
                        "'QGIS layer styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                        (LAYER_STYLES_TABLE, LAYER_STYLES_TABLE))
            con.executemany(
                f"INSERT INTO {LAYER_STYLES_TABLE} (f_table_catalog, f_table_schema, "
                "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'forceprot', '')",
                [(name, geometry_column, name, layer_qml(name, frame),
                  f"forceprot style of {name}") for name, frame in layers.items()])
    finally:
        con.close()
