"""Graders of lesson 08 (masked autoencoder): the four pieces of MAE, each checked against
the library. The exercises take the model explicitly, so a learner writes the data flow and
reuses the model's parts (``model.encoder.patch_embed``, ``model.mask_token``, ...).

* 08.1 random masking by noise + argsort (:func:`maelearn.masking.random_masking`);
* 08.2 the encoder on visible tokens only, with [CLS] (:meth:`maelearn.mae.MAE.forward_encoder`);
* 08.3 the decoder: embed, append mask tokens, unshuffle, add positions
  (:meth:`maelearn.mae.MAE.forward_decoder`);
* 08.4 the loss on removed patches with per-patch normalized targets
  (:func:`maelearn.mae.normalized_targets`, :func:`maelearn.mae.masked_mse`).
"""

from __future__ import annotations

import torch

from maelearn.exercises.framework import Case, exercise
from maelearn.mae import MAE, build_mae, masked_mse, normalized_targets
from maelearn.masking import Masked, random_masking
from maelearn.patches import patchify

# -- references ------------------------------------------------------------------------


def encode_visible(model: MAE, imgs: torch.Tensor, mask_ratio: float, noise: torch.Tensor):
    """Reference 08.2: imgs (B, C, H, W), noise (B, N) -> latent (B, 1+K, D), mask (B, N),
    ids_restore (B, N). The library's :meth:`MAE.forward_encoder`."""
    return model.forward_encoder(imgs, mask_ratio, noise)


def decode(model: MAE, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
    """Reference 08.3: latent (B, 1+K, D), ids_restore (B, N) -> predicted patches
    (B, N, p*p*C). The library's :meth:`MAE.forward_decoder`."""
    return model.forward_decoder(latent, ids_restore)


def mae_loss(pred: torch.Tensor, patches: torch.Tensor, mask: torch.Tensor, norm_pix: bool = True) -> torch.Tensor:
    """Reference 08.4: pred and patches (B, N, P), mask (B, N) with 1 = removed -> scalar
    mean squared error over the removed patches, against per-patch normalized pixels when
    ``norm_pix``."""
    target = normalized_targets(patches) if norm_pix else patches
    return masked_mse(pred, target, mask)


# -- shared inputs ---------------------------------------------------------------------


def _model(seed: int = 0, **overrides) -> MAE:
    cfg = dict(img_size=16, patch_size=4, in_chans=3, dim=32, depth=2, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    cfg.update(overrides)
    with torch.random.fork_rng(devices=[]):  # never reseed the learner's global generator
        torch.manual_seed(seed)
        model = build_mae("tiny", **cfg).eval()
    # Perturb every parameter a little so no part of the network is close to an identity
    # or a constant (fresh LayerNorms and zero biases hide some mistakes).
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed + 1)
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model


def _images(b: int, c: int, size: int, seed: int) -> torch.Tensor:
    return torch.rand(b, c, size, size, generator=torch.Generator().manual_seed(seed))


# -- 08.1 random masking ---------------------------------------------------------------


def _diagnose_masking(case, got, expected):
    x, ratio, noise = case.args
    n = x.shape[1]
    if not isinstance(got, tuple) or len(got) != 4:
        return "return the four results in order: visible, mask, ids_restore, ids_keep (a tuple or Masked)."
    visible, mask, ids_restore, ids_keep = got
    keep = expected.visible.shape[1]
    if isinstance(visible, torch.Tensor) and visible.ndim == 3 and visible.shape[1] != keep:
        k = visible.shape[1]
        if k == int(n * ratio):
            return f"you kept int(N * mask_ratio) = {k} tokens: mask_ratio is the fraction *removed*; keep int(N * (1 - mask_ratio)) = {keep}."
        if k == round(n * (1 - ratio)):
            return f"you rounded: keep int(N * (1 - mask_ratio)) = {keep} tokens (truncate, as the paper's code does), not round(...) = {k}."
        return f"keep int(N * (1 - mask_ratio)) = {keep} tokens; you kept {k}."
    if isinstance(ids_keep, torch.Tensor) and ids_keep.shape == expected.ids_keep.shape:
        if torch.equal(ids_keep, torch.argsort(noise, dim=1, descending=True)[:, :keep]):
            return "sort the noise in ascending order: the patches with the *smallest* noise are kept."
    if isinstance(mask, torch.Tensor) and mask.shape == expected.mask.shape:
        shuffled = torch.ones_like(expected.mask)
        shuffled[:, :keep] = 0
        if torch.equal(mask.to(shuffled.dtype), shuffled):
            return "your mask is still in shuffled order: gather it with ids_restore so that mask[b, i] refers to patch i."
        if torch.equal(mask.to(shuffled.dtype), 1 - expected.mask):
            return "the mask is inverted: 1 means removed, 0 means visible."
    if isinstance(ids_restore, torch.Tensor) and ids_restore.shape == expected.ids_restore.shape:
        if torch.equal(ids_restore, torch.argsort(noise, dim=1)):
            return "ids_restore is the inverse permutation of ids_shuffle: argsort(ids_shuffle), not ids_shuffle itself."
    if isinstance(ids_keep, torch.Tensor) and ids_keep.shape == expected.ids_keep.shape and not torch.equal(ids_keep, expected.ids_keep):
        if torch.equal(ids_keep.sort(dim=1).values, expected.ids_keep.sort(dim=1).values):
            return ("the right patches, in the wrong order: ids_keep = ids_shuffle[:, :K], in the order of increasing "
                    "noise (not sorted by index); the decoder's ids_restore relies on that order.")
    if isinstance(visible, torch.Tensor) and visible.shape == expected.visible.shape:
        in_index_order = torch.gather(x, 1, expected.ids_keep.sort(dim=1).values.unsqueeze(-1).expand(-1, -1, x.shape[2]))
        if torch.allclose(visible, in_index_order):
            return ("the visible tokens are the right ones but in their original order (x[mask == 0]); gather them "
                    "with ids_keep, in shuffled order, as ids_restore expects.")
    return None


@exercise("08.1", "random masking by argsort", random_masking, diagnose=_diagnose_masking)
def _cases_masking():
    g = torch.Generator().manual_seed(81)
    x = torch.randn(2, 16, 5, generator=g)
    yield Case("2 samples, 16 tokens, ratio 0.75", (x, 0.75, torch.rand(2, 16, generator=g)))
    x = torch.randn(3, 7, 4, generator=g)
    yield Case("3 samples, 7 tokens, ratio 0.6 (N*(1-r) = 2.8 is not whole)", (x, 0.6, torch.rand(3, 7, generator=g)))
    x = torch.randn(1, 64, 8, generator=g)
    yield Case("1 sample, 64 tokens, ratio 0.9", (x, 0.9, torch.rand(1, 64, generator=g)))
    x = torch.randn(4, 9, 3, generator=g)
    yield Case("4 samples, 9 tokens, ratio 0.25", (x, 0.25, torch.rand(4, 9, generator=g)))
    # The mask has the tokens' dtype (the loss multiplies it with their errors): a mask
    # built with torch.ones(b, n) is float32 whatever x is.
    x = torch.randn(2, 10, 3, generator=g, dtype=torch.float64)
    yield Case("float64 tokens: 2 samples, 10 tokens, ratio 0.5", (x, 0.5, torch.rand(2, 10, generator=g, dtype=torch.float64)))


# -- 08.2 encoder on visible tokens ----------------------------------------------------


def _diagnose_encoder(case, got, expected):
    model, imgs, ratio, noise = case.args
    if not isinstance(got, tuple) or len(got) != 3:
        return "return three things: latent (B, 1+K, D), mask (B, N), ids_restore (B, N)."
    latent = got[0]
    exp_latent = expected[0]
    if not isinstance(latent, torch.Tensor) or latent.ndim != 3:
        return None
    b, n = noise.shape
    if latent.shape[1] == exp_latent.shape[1] - 1:
        return "the latent is one token short: prepend the [CLS] token (model.encoder.cls_token + its position pos_embed[:, :1])."
    if latent.shape[1] in (n, n + 1):
        return "the encoder saw every patch: mask first, and run the blocks on the K visible tokens only."
    if isinstance(got[2], torch.Tensor) and tuple(got[2].shape) == (b, exp_latent.shape[1] - 1):
        return "the third result is ids_restore (B, N), the inverse permutation, not ids_keep (B, K)."
    if latent.shape == exp_latent.shape:
        with torch.no_grad():
            unnormed = latent
            if torch.allclose(model.encoder.norm(unnormed), exp_latent, atol=1e-4):
                return "apply the encoder's final LayerNorm (model.encoder.norm) after the blocks."
            for hint, kw in (
                ("patch i's position is row 1 + i of pos_embed (row 0 is [CLS]'s): add pos_embed[:, 1:], not pos_embed[:, :N].", dict(pos_from=0)),
                ("put [CLS] in front of the visible tokens (torch.cat([cls, visible], 1)), not after them.", dict(cls_last=True)),
                ("apply the final LayerNorm (model.encoder.norm) once, after the last block, not after every block.", dict(norm_each=True)),
            ):
                if torch.allclose(latent, _encode_variant(model, imgs, ratio, noise, **kw), atol=1e-4):
                    return hint
        return (
            "the values differ: add the position embedding of each patch's *original* index "
            "(gather pos_embed[:, 1:] with ids_keep, or add positions before masking), not of its "
            "place in the shuffled sequence."
        )
    return None


def _encode_variant(model, imgs, ratio, noise, pos_from=1, cls_last=False, norm_each=False):
    """The encoder with one known slip (for the diagnoses of 08.2)."""
    enc = model.encoder
    x = enc.patch_embed.embed_patches(patchify(imgs, model.patch_size))
    x = x + enc.pos_embed[:, pos_from:pos_from + x.shape[1]]
    vis = random_masking(x, ratio, noise=noise).visible
    cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
    h = torch.cat([vis, cls] if cls_last else [cls, vis], 1)
    for block in enc.blocks:
        h = enc.norm(block(h)) if norm_each else block(h)
    return h if norm_each else enc.norm(h)


@exercise("08.2", "encoder on visible tokens", encode_visible, diagnose=_diagnose_encoder, rtol=1e-4, atol=1e-5,
          forbidden=(MAE.forward_encoder,))
def _cases_encoder():
    # Tolerances: embedding all patches then masking, or masking then embedding, gives the
    # same numbers up to float32 summation order (~1e-6); 1e-4 leaves room for that.
    g = torch.Generator().manual_seed(82)
    model = _model(0)
    yield Case("2 RGB 16x16 images, ratio 0.75", (model, _images(2, 3, 16, 1), 0.75, torch.rand(2, 16, generator=g)))
    yield Case("3 RGB 16x16 images, ratio 0.5", (model, _images(3, 3, 16, 2), 0.5, torch.rand(3, 16, generator=g)))
    grey = _model(3, in_chans=1, img_size=24, patch_size=4)
    yield Case("2 grey 24x24 images, ratio 0.8", (grey, _images(2, 1, 24, 3), 0.8, torch.rand(2, 36, generator=g)))
    # The lesson's images are grey 32x32; here with patches of 8 (16 of them, not 64).
    big = _model(4, in_chans=1, img_size=32, patch_size=8)
    yield Case("3 grey 32x32 images, 8x8 patches, ratio 0.75", (big, _images(3, 1, 32, 4), 0.75, torch.rand(3, 16, generator=g)))


# -- 08.3 decoder ----------------------------------------------------------------------


def _diagnose_decoder(case, got, expected):
    model, latent, ids_restore = case.args
    if not isinstance(got, torch.Tensor) or got.ndim != 3:
        return "return the predicted patches as one tensor (B, N, p*p*C)."
    b, n = ids_restore.shape
    if got.shape[1] == n + 1:
        return "drop the [CLS] token's prediction at the end: return x[:, 1:]."
    if got.shape[1] == latent.shape[1] - 1 or got.shape[1] == latent.shape[1]:
        return "append one mask token per removed patch so the decoder sees all N positions."
    if got.shape == expected.shape:
        with torch.no_grad():
            for hint, kw in (
                ("apply model.decoder_norm after the decoder blocks, before model.decoder_pred.", dict(norm=False)),
                ("the removed patches are copies of the learned model.mask_token, not zeros.", dict(zeros=True)),
                ("run every block of model.decoder_blocks in turn, not only the first.", dict(blocks=1)),
                ("add model.decoder_pos_embed once, before the blocks, not before every block.", dict(pos_each=True)),
            ):
                if torch.allclose(got, _decode_variant(model, latent, ids_restore, **kw), atol=1e-4):
                    return hint
        return (
            "after appending the mask tokens the sequence is in *shuffled* order: gather it with "
            "ids_restore before adding the decoder's positions (model.decoder_pos_embed), and keep "
            "[CLS] in front."
        )
    return None


def _decode_variant(model, latent, ids_restore, norm=True, zeros=False, blocks=None, pos_each=False):
    """The decoder with one known slip (for the diagnoses of 08.3)."""
    h = model.decoder_embed(latent)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n - (h.shape[1] - 1), -1)
    seq = torch.cat([h[:, 1:], torch.zeros_like(tokens) if zeros else tokens], 1)
    seq = torch.gather(seq, 1, ids_restore.unsqueeze(-1).expand(-1, -1, h.shape[2]))
    h = torch.cat([h[:, :1], seq], 1)
    h = h if pos_each else h + model.decoder_pos_embed
    for block in list(model.decoder_blocks)[:blocks]:
        h = block(h + model.decoder_pos_embed if pos_each else h)
    return model.decoder_pred(model.decoder_norm(h) if norm else h)[:, 1:]


@exercise("08.3", "decoder with mask tokens", decode, diagnose=_diagnose_decoder, rtol=1e-4, atol=1e-5,
          forbidden=(MAE.forward_decoder,))
def _cases_decoder():
    # Tolerances as in 08.2: float32 results of the same operations in another order.
    g = torch.Generator().manual_seed(83)
    for name, seed, b, ratio, over in (
        ("2 RGB images, ratio 0.75", 0, 2, 0.75, {}),
        ("3 RGB images, ratio 0.5", 1, 3, 0.5, {}),
        ("2 grey 24x24 images, ratio 0.8", 2, 2, 0.8, dict(in_chans=1, img_size=24)),
        ("3 grey 32x32 images, 8x8 patches, ratio 0.75", 3, 3, 0.75, dict(in_chans=1, img_size=32, patch_size=8)),
        # The lesson's decoder has more than one block (a single one hides a loop that
        # stops early or adds the positions before every block).
        ("2 RGB images, a decoder of 2 blocks, ratio 0.75", 4, 2, 0.75, dict(decoder_depth=2)),
    ):
        model = _model(seed, **over)
        c, size = model.in_chans, model.config.img_size
        noise = torch.rand(b, model.num_patches, generator=g)
        with torch.no_grad():
            latent, _, ids_restore = model.forward_encoder(_images(b, c, size, seed + 10), ratio, noise)
        yield Case(name, (model, latent, ids_restore))


# -- 08.4 loss -------------------------------------------------------------------------


def _close(got, value) -> bool:
    try:
        return abs(float(got) - float(value)) <= 1e-5 * max(1.0, abs(float(value)))
    except (TypeError, ValueError, RuntimeError):
        return False


def _diagnose_loss(case, got, expected):
    pred, patches, mask = case.args[:3]
    norm_pix = case.kwargs.get("norm_pix", case.args[3] if len(case.args) > 3 else True)
    if isinstance(got, torch.Tensor) and got.numel() != 1:
        return "return one number: average the per-patch errors over the removed patches (a 0-dim tensor)."
    target = normalized_targets(patches) if norm_pix else patches
    per_patch = ((pred - target) ** 2).mean(-1)
    if _close(got, per_patch.mean()):
        return "that is the error over *all* patches; MAE averages only over the removed ones (mask == 1)."
    if _close(got, (per_patch * (1 - mask)).sum() / (1 - mask).sum()):
        return "that is the error over the *visible* patches; mask == 1 marks the removed ones."
    if _close(got, (((pred - target) ** 2).sum(-1) * mask).sum() / mask.sum()):
        return "average the squared error over each patch's pixels (mean over the last dim) before averaging over patches."
    if norm_pix:
        mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True, unbiased=False)
        if _close(got, masked_mse(pred, (patches - mean) / (var + 1e-6) ** 0.5, mask)):
            return "use the unbiased variance (torch's default .var(), dividing by P - 1), as the paper's code does."
        for dims, where in (((0,), "the batch"), ((0, 1), "the batch and patches"), ((0, 1, 2), "everything"), ((1,), "the patches of an image")):
            m, v = patches.mean(dims, keepdim=True), patches.var(dims, keepdim=True)
            if _close(got, masked_mse(pred, (patches - m) / (v + 1e-6) ** 0.5, mask)):
                return f"you normalized over {where}; normalize each patch by its *own* mean and variance (over the last dim)."
        std = patches.std(-1, keepdim=True)
        for target, hint in (
            ((patches - mean) / (std + 1e-6), "add eps to the variance inside the square root: (x - mean) / (var + 1e-6) ** 0.5, not / (std + 1e-6)."),
            ((patches - mean) / std, "add eps 1e-6 to the variance inside the square root: (var + 1e-6) ** 0.5."),
            ((patches - mean) / (patches.var(-1, keepdim=True) + 1e-5) ** 0.5, "eps is 1e-6: (var + 1e-6) ** 0.5."),
            (torch.nn.functional.layer_norm(patches, patches.shape[-1:]), "layer_norm uses the biased variance and eps 1e-5; use patches.var(-1) (unbiased) and eps 1e-6."),
        ):
            if _close(got, masked_mse(pred, target, mask)):
                return hint
        if _close(got, masked_mse(pred, patches, mask)):
            return "norm_pix=True: normalize each target patch by its own mean and variance first."
    elif _close(got, masked_mse(pred, normalized_targets(patches), mask)):
        return "norm_pix=False: compare with the raw pixels, without normalizing."
    return None


@exercise("08.4", "masked loss with normalized pixels", mae_loss, diagnose=_diagnose_loss, rtol=1e-5, atol=1e-6,
          forbidden=(normalized_targets, masked_mse))
def _cases_loss():
    g = torch.Generator().manual_seed(84)

    def inputs(b, n, p, ratio):
        imgs_like = torch.rand(b, n, p, generator=g) * torch.rand(b, n, 1, generator=g) + torch.rand(b, n, 1, generator=g)
        pred = torch.randn(b, n, p, generator=g)
        noise = torch.rand(b, n, generator=g)
        mask = random_masking(imgs_like, ratio, noise=noise).mask
        return pred, imgs_like, mask

    yield Case("norm-pix, 2 x 16 patches of 48 values, ratio 0.75", inputs(2, 16, 48, 0.75), {"norm_pix": True})
    yield Case("norm-pix, 3 x 9 patches of 16 values, ratio 0.5", inputs(3, 9, 16, 0.5), {"norm_pix": True})
    yield Case("raw pixels, 2 x 16 patches of 12 values, ratio 0.75", inputs(2, 16, 12, 0.75), {"norm_pix": False})
    yield Case("the default (norm_pix=True), 4 x 64 patches of 16 values, ratio 0.75", inputs(4, 64, 16, 0.75))


__all__ = ["Masked", "decode", "encode_visible", "mae_loss", "patchify"]
