"""What a backend says of its machine (`GET /env/check`), read leniently, and said in one line.

The deployed backend answers `gpu_name`, `vram_gb`, `cpu_cores`, `ram_gb` and `ready`; the reference
server adds `live` (CPU %, memory in use, the GPU's utilisation and memory). A field that is missing or
odd is unknown, and left out of the text rather than guessed. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tf_tui.base.protocol import finite_number
from tf_tui.base.text import printable

GPU_NAME_LIMIT = 40
UNITS = ((1e9, "GB"), (1e6, "MB"), (1e3, "kB"))


@dataclass(frozen=True)
class LiveFigures:
    cpu_percent: float | None = None
    ram_used_gb: float | None = None
    gpu_percent: float | None = None
    vram_used_gb: float | None = None


@dataclass(frozen=True)
class BoxEnvironment:
    gpu_name: str | None = None  # None: no GPU (or none said)
    vram_gb: float | None = None
    cpu_cores: int | None = None
    ram_gb: float | None = None
    ready: bool | None = None
    live: LiveFigures | None = None  # None: the backend sends no live figures (the deployed one)

    @property
    def model_memory(self) -> tuple[str, float] | None:
        """The memory a model must fit in, named: the GPU's when there is one, else the RAM; None if unknown."""
        if self.gpu_name is not None:
            return ("VRAM", self.vram_gb) if self.vram_gb else None
        return ("RAM", self.ram_gb) if self.ram_gb else None


def parse_environment(body: dict[str, Any]) -> BoxEnvironment:
    live = body.get("live")
    gpu_name = body.get("gpu_name")
    cores = body.get("cpu_cores")
    ready = body.get("ready")
    return BoxEnvironment(
        gpu_name=printable(gpu_name, GPU_NAME_LIMIT) if isinstance(gpu_name, str) and gpu_name.strip() else None,
        vram_gb=_size(body.get("vram_gb")),
        cpu_cores=cores if isinstance(cores, int) and not isinstance(cores, bool) and cores > 0 else None,
        ram_gb=_size(body.get("ram_gb")),
        ready=ready if isinstance(ready, bool) else None,
        live=None
        if not isinstance(live, dict)
        else LiveFigures(
            cpu_percent=_size(live.get("cpu_percent")),
            ram_used_gb=_size(live.get("ram_used_gb")),
            gpu_percent=_size(live.get("gpu_percent")),
            vram_used_gb=_size(live.get("vram_used_gb")),
        ),
    )


def describe_box(box: BoxEnvironment, *, live: bool = True) -> str:
    """Each part of the machine with its use now when the backend says it (`live`):
    `NVIDIA A10 87% 9.8/24 GB · 16 cores 24% · RAM 12.4/62.8 GB · ready`, else `NVIDIA A10 24 GB · 16 cores ·
    62.8 GB RAM · ready`; only what is known."""
    now = (box.live if live else None) or LiveFigures()
    parts = [_gpu(box, now)]
    if box.cpu_cores is not None:
        cores = f"{box.cpu_cores} core{'' if box.cpu_cores == 1 else 's'}"
        parts.append(cores if now.cpu_percent is None else f"{cores} {now.cpu_percent:.0f}%")
    if now.ram_used_gb is not None:
        parts.append(f"RAM {_used(now.ram_used_gb, box.ram_gb)}")
    elif box.ram_gb is not None:
        parts.append(f"{memory_text(box.ram_gb)} RAM")
    if box.ready is not None:
        parts.append("ready" if box.ready else "not ready")
    return " · ".join(parts)


def _gpu(box: BoxEnvironment, now: LiveFigures) -> str:
    if box.gpu_name is None:
        return "no GPU"
    words = [box.gpu_name]
    if now.gpu_percent is not None:
        words.append(f"{now.gpu_percent:.0f}%")
    if now.vram_used_gb is not None:
        words.append(_used(now.vram_used_gb, box.vram_gb))
    elif box.vram_gb is not None:
        words.append(memory_text(box.vram_gb))
    return " ".join(words)


def memory_text(gigabytes: float) -> str:
    """`14.5 GB`, `307 kB`: three significant figures in the largest unit below the value."""
    count = gigabytes * 1e9
    for scale, unit in UNITS:
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} B"


def _used(used: float, total: float | None) -> str:
    return memory_text(used) if total is None else f"{round(used, 1):g}/{memory_text(total)}"


def _size(value: object) -> float | None:
    number = finite_number(value)
    return number if number is not None and number >= 0 else None
