"""Health rules over every followed run: a non-finite loss, divergence, a stall and overfitting.

`rules` says what each alert is and when it fires, `settings` reads the `[alerts]` table of the config
file, and `monitor` keeps a few numbers per run and evaluates the rules on each update, in constant time.
"""
