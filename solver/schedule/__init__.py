"""The mission scheduler (issue 17): which missions to fly over the coming weeks, at the least total
cost of flying and of waiting in detention.

Pure: plain data in (``problem``), plain data out; no database, no Qt. ``cost`` is the exact cost
model every figure is computed with (anyone can recompute a proposal from it); ``routes`` the
candidate missions; ``optimize`` the column-generation LP bound and the integer schedule;
``evaluate`` the loading of a fixed set of missions (the flights already scheduled, a weekly
cadence); ``validate`` a solver-independent check of a schedule against every rule.
"""
