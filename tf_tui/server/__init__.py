"""The reference Talent Factory server (`tf-tui serve`, `tf-tui --local`): the contract's routes and
socket, and real small training jobs behind them.

Rule: it is the contract's oracle, so it imports nothing of the client but `tf_tui.common`; only it
needs the `server` extra (FastAPI, uvicorn, numpy, ...).
"""
