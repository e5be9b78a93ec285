"""Our MAE's fast path computes the same function as the paper's plain order of operations.

The fast path (maelearn.mae.MAE) masks first and embeds only the visible patches with the
conv kernel viewed as a matrix, then runs fused-qkv SDPA blocks. The plain path below is
written out here, independently, in the reference code's order: a convolution embeds all
N patches, positions are added, random masking sorts the noise and gathers the kept
tokens, the decoder concatenates mask tokens and unshuffles with a gather. Both share one
set of weights and one noise tensor, so loss and every gradient must agree.
"""

import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

from maelearn.mae import MAE, mae_config


def plain_mae_loss(model: MAE, imgs: torch.Tensor, noise: torch.Tensor, mask_ratio: float) -> torch.Tensor:
    """The reference order, using ``model``'s parameters (B, C, H, W) -> loss ()."""
    enc, cfg = model.encoder, model.config
    x = enc.patch_embed.proj(imgs)  # conv on the whole image: (B, D, h, w)
    x = x.flatten(2).transpose(1, 2) + enc.pos_embed[:, 1:]  # (B, N, D)
    b, n, d = x.shape
    keep = int(n * (1 - mask_ratio))
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, d))  # (B, K, D)
    mask = torch.ones(b, n)
    mask[:, :keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    cls = enc.cls_token + enc.pos_embed[:, :1]
    x = torch.cat([cls.repeat(b, 1, 1), x], dim=1)
    for blk in enc.blocks:
        x = blk(x)
    x = model.decoder_embed(enc.norm(x))  # (B, 1+K, Dd)
    dd = x.shape[-1]
    mask_tokens = model.mask_token.repeat(b, n - keep, 1)
    y = torch.cat([x[:, 1:], mask_tokens], dim=1)
    y = torch.gather(y, 1, ids_restore.unsqueeze(-1).repeat(1, 1, dd))
    x = torch.cat([x[:, :1], y], dim=1) + model.decoder_pos_embed
    for blk in model.decoder_blocks:
        x = blk(x)
    pred = model.decoder_pred(model.decoder_norm(x))[:, 1:]
    p = cfg.patch_size
    target = rearrange(imgs, "b c (h p) (w q) -> b (h w) (p q c)", p=p, q=p)
    mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
    target = (target - mean) / (var + 1e-6) ** 0.5
    loss = ((pred - target) ** 2).mean(-1)
    return (loss * mask).sum() / mask.sum()


def _grads(model: MAE) -> dict[str, torch.Tensor]:
    return {k: p.grad.detach().clone() for k, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_fast_path_matches_plain_path_fp32(preset):
    torch.manual_seed(0)
    cfg = mae_config(preset)
    model = MAE(cfg).float()
    imgs = torch.rand(4, 3, cfg.img_size, cfg.img_size)
    noise = torch.rand(4, model.num_patches)

    loss_fast = model(imgs, 0.75, noise=noise).loss
    loss_fast.backward()
    g_fast = _grads(model)
    model.zero_grad(set_to_none=True)
    loss_plain = plain_mae_loss(model, imgs, noise, 0.75)
    loss_plain.backward()
    g_plain = _grads(model)

    # Tolerance: the two paths do the same arithmetic in a different order (a conv vs a
    # matmul for the patch embedding, a gather of pixels vs of embeddings), so they differ
    # only by float32 rounding (unit roundoff 6e-8) carried through the layers. Measured on
    # this test (torch 2.14 CPU): loss equal to the last bit, worst gradient 1.1e-7 relative
    # (norm-wise). The loss is held to 1e-6 and each gradient to 1e-6 norm-wise: about 10x
    # the measured rounding, and far below a real bug (a wrong mask, position or token
    # order moves the loss by > 1e-3, see test_plain_path_detects_a_wrong_mask).
    assert loss_fast.item() == pytest.approx(loss_plain.item(), rel=1e-6)
    assert g_fast.keys() == g_plain.keys() and len(g_fast) > 10
    for name in g_fast:
        a, b = g_fast[name], g_plain[name]
        rel = ((a - b).norm() / b.norm().clamp_min(1e-12)).item()  # norm-wise relative error
        assert rel < 1e-6, f"gradient of {name} differs: relative error {rel:.2e}"


def test_fast_path_matches_plain_path_fp64_to_roundoff():
    # In float64 the same comparison is good to ~1e-14: the two paths are the same math.
    torch.manual_seed(1)
    cfg = mae_config("tiny")
    model = MAE(cfg).double()
    imgs = torch.rand(3, 3, 32, 32, dtype=torch.float64)
    noise = torch.rand(3, model.num_patches, dtype=torch.float64)
    loss_fast = model(imgs, 0.75, noise=noise).loss
    loss_fast.backward()
    g_fast = _grads(model)
    model.zero_grad(set_to_none=True)
    loss_plain = plain_mae_loss(model, imgs, noise, 0.75)
    loss_plain.backward()
    torch.testing.assert_close(loss_fast, loss_plain, rtol=1e-12, atol=0)
    for name, g in _grads(model).items():
        torch.testing.assert_close(g_fast[name], g, rtol=1e-10, atol=1e-14, msg=lambda m: f"{name}: {m}")


def test_plain_path_detects_a_wrong_mask():
    # The comparison has teeth: a different noise (another mask) changes the loss a lot.
    torch.manual_seed(2)
    model = MAE(mae_config("tiny"))
    imgs = torch.rand(4, 3, 32, 32)
    noise = torch.rand(4, model.num_patches)
    fast = model(imgs, 0.75, noise=noise).loss.item()
    other = plain_mae_loss(model, imgs, torch.rand(4, model.num_patches), 0.75).item()
    assert abs(fast - other) > 1e-3


def test_fast_path_is_compile_traceable_without_graph_breaks():
    # torch.compile(fullgraph=True) fails on any graph break; the "eager" backend checks
    # the tracing without paying for code generation on a CPU.
    torch._dynamo.reset()
    model = MAE(mae_config("tiny"))
    imgs = torch.rand(2, 3, 32, 32)
    noise = torch.rand(2, model.num_patches)
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(imgs, 0.75, noise=noise).loss, model(imgs, 0.75, noise=noise).loss)
