"""Every reach into a private Textual or Rich API, and nothing else.

Rule: outside this package no module of tf_tui imports a private module of Textual or Rich (`textual._x`,
`rich._x`), touches a private attribute of their objects, or overrides one of their private methods; the
rest of the UI calls the public functions and classes here. Each reach carries a comment naming the
upstream function it mirrors and the versions it was checked against, and `reaches` names them all: at
start the dashboard checks that each is there, and a feature whose reach a Textual release renamed falls
back to Textual's own way, with a warning in the log, instead of crashing.
`tests/ui/test_paint_boundary.py` enforces the rule.
"""
