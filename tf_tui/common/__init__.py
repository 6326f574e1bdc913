"""What the reference server and the client share on purpose: the thinning of a history, the locked
atomic write of a small file, and the local server's address file.

Rule: the standard library only, and nothing else of tf_tui. The server may import this package and no
other of the client's; the launcher reads the address file without the server's dependencies.
"""
