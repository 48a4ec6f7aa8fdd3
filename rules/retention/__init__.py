"""Retention calculator of DOMAIN.md §6: what a payroll period withholds for a housing credit.

``calculator`` is the typed core (periods, amounts, cap, suspension, modification);
``contract`` reads and writes the §6 JSON around it; ``money`` rounds exact amounts to cents;
``errors`` holds the error both raise.
"""
