"""Engagement kernels (numba, serial, pure): sensors, C-RAM-class guns, Patriot-class batteries."""
