"""A live mask explorer: move a slider, see what an MAE reconstructs.

:func:`explorer_view` is the pure, tested update logic, :func:`render_png` draws it, and :func:`mask_explorer`
wires them to ipywidgets (mask ratio, strategy, seed). Without a live kernel (the course website, nbviewer,
GitHub) the mime bundle's ``text/html`` fallback (:func:`static_html`) shows the picture it was opened with."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from maelearn.mae import MAE
from maelearn.masking import STRATEGIES, num_visible, strategy_noise
from maelearn.viz import FIGURE2_COLUMNS, figure2

#: Grid masking keeps one patch in every 2 x 2 cell: its ratio is fixed.
GRID_RATIO = 0.75


@dataclass(frozen=True)
class ExplorerView:
    """What the explorer shows for one setting. Images are NumPy arrays (B, H, W, C) in [0, 1]; ``mask`` is (B, N)
    with 1 = removed."""

    masked: np.ndarray
    reconstruction: np.ndarray
    pasted: np.ndarray
    original: np.ndarray
    mask: np.ndarray
    mask_ratio: float  # the ratio actually used (grid masking forces 0.75)
    strategy: str
    seed: int
    visible: int  # patches kept per image
    num_patches: int
    loss: float
    note: str = ""

    def caption(self) -> str:
        text = (f"{self.strategy} masking, ratio {self.mask_ratio:.2f}: {self.visible} of {self.num_patches} patches "
                f"visible; loss on the removed patches {self.loss:.4f} (seed {self.seed})")
        return text + (f". {self.note}" if self.note else "")


def explorer_view(model: MAE, images: torch.Tensor, mask_ratio: float, strategy: str = "random", seed: int = 0) -> ExplorerView:
    """Mask ``images`` (B, C, H, W) with ``strategy`` at ``mask_ratio`` (noise drawn from ``seed``) and
    reconstruct them with ``model``. Deterministic in its arguments. Grid masking has a fixed ratio of 0.75: other
    ratios are replaced by it (``note`` says so). Taught in lesson 08."""
    if not isinstance(model, MAE):
        raise TypeError(f"model must be a maelearn.mae.MAE, got {type(model).__name__}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    num_visible(model.num_patches, mask_ratio)
    model.check_input(images)
    note = ""
    if strategy == "grid" and abs(mask_ratio - GRID_RATIO) > 1e-9:
        note = f"grid masking keeps one patch in four, so the ratio is {GRID_RATIO} whatever the slider says"
        mask_ratio = GRID_RATIO
    dev = next(model.parameters()).device
    g = torch.Generator().manual_seed(int(seed))
    noise = strategy_noise(strategy, images.shape[0], model.grid, float(mask_ratio), generator=g)
    was_training = model.training
    model.eval()
    try:
        out = model.reconstruct(images.to(dev), float(mask_ratio), noise=noise.to(dev))
    finally:
        model.train(was_training)
    mask = out["mask"].cpu().numpy()
    panels = {key: out[key].detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() for key, _ in FIGURE2_COLUMNS}
    return ExplorerView(**panels, mask=mask, mask_ratio=float(mask_ratio), strategy=strategy, seed=int(seed),
                        visible=int(round((1 - mask[0]).sum())), num_patches=model.num_patches, loss=float(out["loss"]),
                        note=note)


def render_png(view: ExplorerView, dpi: int = 80) -> bytes:
    """Draw a view in the paper's Figure 2 layout (:func:`maelearn.viz.figure2`) and return PNG bytes. The figure
    is closed, so nothing piles up in pyplot."""
    recon = {key: torch.from_numpy(getattr(view, key)).permute(0, 3, 1, 2) for key, _ in FIGURE2_COLUMNS}
    fig = figure2(recon, n=recon["original"].shape[0], title=f"{view.strategy} masking, ratio {view.mask_ratio:.2f}", size=1.3)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buf.getvalue()


#: The fallback's note (see :func:`static_html`).
STATIC_NOTE = ("A static picture: run this notebook in JupyterLab or Colab to move the mask-ratio slider "
               "and redraw the reconstruction live.")


def static_html(png: bytes, caption: str) -> str:
    """The explorer as static HTML: the picture (a ``data:`` URL, nothing fetched), its caption and
    :data:`STATIC_NOTE`. Shown where widgets are not rendered."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<div class="mae-explorer-static"><img src="{src}" alt="{html.escape(caption, quote=True)}"/>'
            f'<p>{html.escape(caption)}</p><p><em>{html.escape(STATIC_NOTE)}</em></p></div>')


def mask_explorer(model: MAE, images: torch.Tensor, mask_ratio: float = 0.75, strategy: str = "random", seed: int = 0):
    """An ipywidgets box: sliders for the mask ratio and seed, a dropdown for the strategy, the rendered
    :func:`explorer_view` and its caption. Its ``.controls`` dict holds the three controls and ``.image`` /
    ``.status`` the outputs, so code (and tests) can drive it; displayed, it also carries the :func:`static_html`
    fallback of the view it shows. Taught in lesson 08."""
    import ipywidgets as widgets

    class ExplorerBox(widgets.VBox):
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            if bundle is not None and self.image.value and self.caption:
                bundle["text/html"] = static_html(self.image.value, self.caption)
            return bundle

    ratio = widgets.FloatSlider(value=mask_ratio, min=0.05, max=0.95, step=0.05, description="mask ratio",
                                continuous_update=True, readout_format=".2f")
    strat = widgets.Dropdown(options=list(STRATEGIES), value=strategy, description="masking")
    seed_w = widgets.IntSlider(value=seed, min=0, max=50, description="seed")
    ratio.add_class("mae-explorer-ratio")  # a stable hook for the browser test (tests/test_browser.py)
    image = widgets.Image(format="png")
    status = widgets.HTML()

    box = ExplorerBox([widgets.HBox([ratio, strat, seed_w]), image, status])
    box.caption = ""  # the caption of the picture shown ("" after an error: no static fallback)

    def update(_change=None) -> None:
        try:
            view = explorer_view(model, images, ratio.value, strat.value, seed_w.value)
            image.value = render_png(view)
            status.value = f"<span class='mae-explorer-status'>{view.caption()}</span>"
            box.caption = view.caption()
        except Exception as err:  # shown, not swallowed: ipywidgets hides callback errors
            status.value = f"<span class='mae-explorer-error' style='color:#b00'>error: {type(err).__name__}: {err}</span>"
            box.caption = ""

    for w in (ratio, strat, seed_w):
        w.observe(update, names="value")
    update()
    box.add_class("mae-explorer")
    box.controls = {"mask_ratio": ratio, "strategy": strat, "seed": seed_w}
    box.image, box.status, box.update = image, status, update
    return box


__all__ = ["STATIC_NOTE", "ExplorerView", "explorer_view", "mask_explorer", "render_png", "static_html"]
