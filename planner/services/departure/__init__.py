"""Departure day and after (issue #12): strike-off with a coded reason and reserves moving up
(:mod:`.strike`), boarding and closing the doors (:mod:`.boarding`), departure and custody history
(:mod:`.depart`), and the struck-off report (:mod:`.report`). Shared reads: :mod:`.listing`."""
