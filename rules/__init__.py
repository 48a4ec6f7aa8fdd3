"""Domain rules: retention calculator, business-day calendar, test sets and their signatures."""
