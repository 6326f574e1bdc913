"""What a server is started with: where it keeps its data, its token, and how much it may do at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tf_tui.common.server_address import new_instance_id


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path
    token: str | None = None
    max_concurrent: int = 2
    idle_exit: float | None = None  # seconds with nothing going before the server ends itself
    instance_id: str = field(default_factory=new_instance_id)  # told apart from a server reusing the port
