"""Domain: enums, errors, eligibility rules, field parsers, value objects. Pure: no database, no Qt."""
