"""The cost-aware mission scheduler's services (issue 17): the problem read from the database
(``problem``), proposals stored and read back (``proposals``), accepting missions as PLANNED
flights (``accept``), and what readers see of them (``views``)."""
