"""One function per figure: data in, matplotlib Figure out. Style in :mod:`scalinglab.figures.style`."""
