"""The one rule for a model's size and fit, shared by the start dialog and `tf-tui models`."""

from __future__ import annotations

import pytest

from tf_tui.core.environment import BoxEnvironment, describe_box, memory_text, parse_environment
from tf_tui.core.model_fit import model_fit, size_text

T4 = BoxEnvironment(gpu_name="NVIDIA T4", vram_gb=16, cpu_cores=8, ram_gb=64, ready=True)
NO_GPU = BoxEnvironment(gpu_name=None, vram_gb=0, cpu_cores=2, ram_gb=7.8, ready=True)


@pytest.mark.parametrize(
    ("gigabytes", "text"),
    [(14.5, "14.5 GB"), (16, "16 GB"), (0.000307, "307 kB"), (0.00009, "90 kB"), (0.001, "1 MB"), (1e-10, "0 B")],
)
def test_memory_text(gigabytes, text):
    assert memory_text(gigabytes) == text


def test_size_text_is_empty_when_the_backend_gives_none():
    assert size_text({"size_gb": 26}) == "26 GB"
    for odd in ({}, {"size_gb": 0}, {"size_gb": "big"}, {"size_gb": True}, {"size_gb": -1}):
        assert size_text(odd) == ""


def test_the_gpu_memory_decides_when_there_is_a_gpu():
    # The larger of the minimum and the size: 12 GB of weights need 12 GB whatever min_vram_gb says.
    assert model_fit({"size_gb": 12, "min_vram_gb": 8}, T4).fits is True
    too_big = model_fit({"size_gb": 14.5, "min_vram_gb": 24}, T4)
    assert too_big.fits is False
    assert too_big.reason == "too big: needs 24 GB, the GPU has 16 GB of VRAM"
    # RAM does not rescue a model too big for the GPU.
    assert model_fit({"size_gb": 20}, T4).fits is False


def test_the_ram_decides_without_a_gpu():
    fits = model_fit({"size_gb": 0.00009, "min_vram_gb": 0}, NO_GPU)
    assert fits.fits is True
    assert fits.reason == "fits: needs 90 kB, the box has no GPU and 7.8 GB of RAM"
    assert model_fit({"size_gb": 4, "min_vram_gb": 16}, NO_GPU).fits is False


def test_an_unknown_figure_leaves_the_fit_unknown_and_says_why():
    assert model_fit({"id": "x"}, T4).fits is None
    assert "no size" in model_fit({"id": "x"}, T4).reason
    unknown_box = model_fit({"size_gb": 1}, None)
    assert unknown_box.fits is None and unknown_box.reason == "fit unknown: needs 1 GB, the box's memory is unknown"
    # A GPU whose memory is not said: its memory is unknown, not the RAM's.
    assert model_fit({"size_gb": 1}, BoxEnvironment(gpu_name="GPU", vram_gb=None, ram_gb=64)).fits is None


def test_the_deployed_shape_reads_without_live_figures():
    box = parse_environment({"gpu_name": None, "vram_gb": 0, "cpu_cores": 8, "ram_gb": 15.6, "ready": True})
    assert box == BoxEnvironment(gpu_name=None, vram_gb=0, cpu_cores=8, ram_gb=15.6, ready=True, live=None)
    assert describe_box(box) == "no GPU · 8 cores · 15.6 GB RAM · ready"


def test_live_figures_and_a_gpu_are_said():
    box = parse_environment(
        {
            "gpu_name": "NVIDIA A10",
            "vram_gb": 24,
            "cpu_cores": 1,
            "ram_gb": 62.8,
            "ready": False,
            "live": {"cpu_percent": 23.5, "ram_used_gb": 12.4, "gpu_percent": 87, "vram_used_gb": 9.8},
        }
    )
    assert describe_box(box) == "NVIDIA A10 87% 9.8/24 GB · 1 core 24% · RAM 12.4/62.8 GB · not ready"
    assert describe_box(box, live=False) == "NVIDIA A10 24 GB · 1 core · 62.8 GB RAM · not ready"


def test_odd_values_are_unknown_never_guessed_and_server_text_is_cleaned():
    box = parse_environment(
        {"gpu_name": "\x1b[31mEvil[/]", "vram_gb": "lots", "cpu_cores": True, "ram_gb": float("nan"), "live": []}
    )
    assert box == BoxEnvironment(gpu_name="Evil[/]", vram_gb=None, cpu_cores=None, ram_gb=None, ready=None)
    assert describe_box(box) == "Evil[/]"
    assert describe_box(parse_environment({})) == "no GPU"
