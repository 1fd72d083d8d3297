"""The verification and travel-document pipeline: requests to receiving states and their answers.

- ``records``: the shared reads (batches, open requests, lead times) every part uses;
- ``batches``: choosing candidates and creating a request batch (CSV + PDF cover letter);
- ``responses``: what the verification import calls to close requests named in a response;
- ``status``: per-country status, overdue requests, forecasts; ``reminders``: reminder letters;
- ``funnel``: claimed → requested → confirmed → document valid → placed → flown.

The pure rules (references, layouts, lead times, funnel stages) are ``planner.domain.requests``.
"""
