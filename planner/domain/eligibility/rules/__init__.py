"""One module per eligibility rule: its reason code(s), its words, its scalar check and its mask.
``planner.domain.eligibility.registry`` lists them in rule order."""
