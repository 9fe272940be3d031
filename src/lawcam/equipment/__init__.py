"""Equipment (Art. 2–8): categories, models and specs, devices, budgets and procurement,
and the ratio and spec compliance checks."""
