"""The live model: a backend session and the fleet of them, the run store, the readers of statuses,
histories and logs, the state file, the config, the start choices, the local server's launcher, and the
pure views of them (charts, comparisons, formats) that the dashboard and the headless commands share.

Rule: no Textual here: the headless commands run without it. It talks to backends through
`tf_tui.client` only, and never imports the reference server (the launcher starts it as a process).
"""
