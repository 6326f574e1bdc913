"""The dashboard: the Textual app, its screens and widgets.

Rule: the only package that imports Textual; every reach into a private Textual or Rich API lives in
`tf_tui.ui.paint`. It reads the live model of `tf_tui.core` and never the reference server.
"""
