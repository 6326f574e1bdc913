"""`GET /env/check`: the machine the server runs on, as the deployed backend reports it, plus live figures.

The contract's fields (`gpu_name`, `vram_gb`, `cpu_cores`, `ram_gb`, `ready`) come from psutil and, when
there is an NVIDIA GPU, from NVML (`pynvml`, the nvidia-ml-py package). NVML is imported lazily and any
failure of it (no package, no driver, no device) means "no GPU": nothing is invented then. `live` is this
server's extension: CPU and memory in use now, and the GPU's utilisation and memory when there is one.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import psutil

GIB = 1024**3


@dataclass(frozen=True)
class Gpu:
    name: str
    nvml: ModuleType  # pynvml, imported only once a GPU was looked for
    handle: Any  # NVML's device handle


@functools.cache
def first_gpu() -> Gpu | None:
    """The first NVIDIA GPU, looked for once per process (NVML's start-up can take a second)."""
    try:
        import pynvml  # here, not at the top: the NVIDIA driver's library is optional, and read only when asked

        pynvml.nvmlInit()
        if pynvml.nvmlDeviceGetCount() < 1:
            return None
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        name = pynvml.nvmlDeviceGetName(handle)
        return Gpu(name.decode() if isinstance(name, bytes) else str(name), pynvml, handle)
    except Exception:  # any NVML failure (no library, no driver, no device) reads as no GPU
        return None


def environment(*, live: bool) -> dict[str, Any]:
    """The contract's shape; with `live`, the figures of now besides (psutil's CPU % is since its last call)."""
    gpu = first_gpu()
    memory = psutil.virtual_memory()
    gpu_memory = _gpu_memory(gpu)
    body: dict[str, Any] = {
        "gpu_name": None if gpu is None else gpu.name,
        "vram_gb": 0 if gpu_memory is None else _gib(gpu_memory[1]),
        "cpu_cores": os.cpu_count(),
        "ram_gb": _gib(memory.total),
        "ready": True,
    }
    if live:
        figures: dict[str, float] = {
            "cpu_percent": psutil.cpu_percent(interval=None),
            "ram_used_gb": _gib(memory.total - memory.available),
        }
        utilisation = _gpu_utilisation(gpu)
        if utilisation is not None:
            figures["gpu_percent"] = utilisation
        if gpu_memory is not None:
            figures["vram_used_gb"] = _gib(gpu_memory[0])
        body["live"] = figures
    return body


def _gpu_memory(gpu: Gpu | None) -> tuple[int, int] | None:
    """Bytes used and in all, or None without a GPU or when NVML fails now (a GPU that fell off the bus)."""
    if gpu is None:
        return None
    try:
        info = gpu.nvml.nvmlDeviceGetMemoryInfo(gpu.handle)
        return int(info.used), int(info.total)
    except Exception:
        return None


def _gpu_utilisation(gpu: Gpu | None) -> float | None:
    if gpu is None:
        return None
    try:
        return float(gpu.nvml.nvmlDeviceGetUtilizationRates(gpu.handle).gpu)
    except Exception:
        return None


def _gib(count: int) -> float:
    return round(count / GIB, 1)
