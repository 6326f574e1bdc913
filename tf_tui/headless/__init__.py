"""The commands for scripts and plain SSH (`watch`, `status`, `start`, `stop`, `metrics`, `logs`,
datasets, talents): each drives the same live model as the dashboard and prints lines or JSON.

Rule: no Textual here, and nothing of the dashboard or of the reference server.
"""
