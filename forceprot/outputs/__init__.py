"""Everything forceprot writes or shows: files, GIS layers, maps, reports, console tables."""
