"""Lesson 08 graders accept the library's reference and reject typical wrong answers."""

from __future__ import annotations

import torch

from maelearn.mae import masked_mse, normalized_targets
from maelearn.masking import Masked, random_masking

# -- 08.1 masking: wrong answers -------------------------------------------------------


def _mask_with_keep(x, noise, keep, descending=False, unshuffle_mask=True, inverse=True):
    b, n, d = x.shape
    ids_shuffle = torch.argsort(noise, dim=1, descending=descending)
    ids_restore = torch.argsort(ids_shuffle, dim=1) if inverse else ids_shuffle
    ids_keep = ids_shuffle[:, :keep]
    visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
    mask = torch.ones(b, n, dtype=x.dtype)
    mask[:, :keep] = 0
    if unshuffle_mask:
        mask = torch.gather(mask, 1, torch.argsort(ids_shuffle, dim=1))
    return Masked(visible, mask, ids_restore, ids_keep)


def masking_keeps_ratio(x, mask_ratio, noise):
    """Keeps int(N * ratio) tokens: reads the ratio as the fraction kept."""
    return _mask_with_keep(x, noise, int(x.shape[1] * mask_ratio))


def masking_rounds(x, mask_ratio, noise):
    """round() instead of int(): one token too many when N(1-r) has a fraction >= .5."""
    return _mask_with_keep(x, noise, round(x.shape[1] * (1 - mask_ratio)))


def masking_descending(x, mask_ratio, noise):
    """Keeps the largest noise values."""
    return _mask_with_keep(x, noise, int(x.shape[1] * (1 - mask_ratio)), descending=True)


def masking_shuffled_mask(x, mask_ratio, noise):
    """Returns the mask in shuffled order (forgets to gather with ids_restore)."""
    return _mask_with_keep(x, noise, int(x.shape[1] * (1 - mask_ratio)), unshuffle_mask=False)


def masking_restore_is_shuffle(x, mask_ratio, noise):
    """Returns ids_shuffle as ids_restore (forgets the second argsort)."""
    return _mask_with_keep(x, noise, int(x.shape[1] * (1 - mask_ratio)), inverse=False)


# -- 08.2 encoder: wrong answers -------------------------------------------------------


def _embed_visible(model, imgs, mask_ratio, noise):
    from maelearn.masking import random_masking

    enc = model.encoder
    tokens = enc.patch_embed(imgs) + enc.pos_embed[:, 1:]
    return random_masking(tokens, mask_ratio, noise=noise), enc


def encoder_without_cls(model, imgs, mask_ratio, noise):
    m, enc = _embed_visible(model, imgs, mask_ratio, noise)
    x = m.visible
    for blk in enc.blocks:
        x = blk(x)
    return enc.norm(x), m.mask, m.ids_restore


def encoder_sees_everything(model, imgs, mask_ratio, noise):
    """Runs the encoder on all patches (no masking before the blocks)."""
    m, enc = _embed_visible(model, imgs, mask_ratio, noise)
    return enc(imgs), m.mask, m.ids_restore


def encoder_positions_after_shuffle(model, imgs, mask_ratio, noise):
    """Adds positions 0..K-1 to the shuffled visible tokens instead of their own."""
    from maelearn.masking import random_masking

    enc = model.encoder
    m = random_masking(enc.patch_embed(imgs), mask_ratio, noise=noise)
    x = m.visible + enc.pos_embed[:, 1 : 1 + m.visible.shape[1]]
    cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
    x = torch.cat([cls, x], 1)
    for blk in enc.blocks:
        x = blk(x)
    return enc.norm(x), m.mask, m.ids_restore


def encoder_no_final_norm(model, imgs, mask_ratio, noise):
    m, enc = _embed_visible(model, imgs, mask_ratio, noise)
    cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(imgs.shape[0], -1, -1)
    x = torch.cat([cls, m.visible], 1)
    for blk in enc.blocks:
        x = blk(x)
    return x, m.mask, m.ids_restore


def encoder_right_by_hand(model, imgs, mask_ratio, noise):
    """Embeds every patch, then masks: a correct answer by another route."""
    m, enc = _embed_visible(model, imgs, mask_ratio, noise)
    cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(imgs.shape[0], -1, -1)
    x = torch.cat([cls, m.visible], 1)
    for blk in enc.blocks:
        x = blk(x)
    return enc.norm(x), m.mask, m.ids_restore


# -- 08.3 decoder: wrong answers -------------------------------------------------------


def _decoder_tail(model, x):
    for blk in model.decoder_blocks:
        x = blk(x)
    return model.decoder_pred(model.decoder_norm(x))[:, 1:]


def decoder_forgets_unshuffle(model, latent, ids_restore):
    x = model.decoder_embed(latent)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n + 1 - x.shape[1], -1)
    x = torch.cat([x, tokens], 1) + model.decoder_pos_embed
    return _decoder_tail(model, x)


def decoder_mask_tokens_first(model, latent, ids_restore):
    """Puts the mask tokens before the visible tokens, then unshuffles."""
    x = model.decoder_embed(latent)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n + 1 - x.shape[1], -1)
    x_ = torch.cat([tokens, x[:, 1:]], 1)
    x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))
    return _decoder_tail(model, torch.cat([x[:, :1], x_], 1) + model.decoder_pos_embed)


def decoder_no_positions(model, latent, ids_restore):
    x = model.decoder_embed(latent)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n + 1 - x.shape[1], -1)
    x_ = torch.cat([x[:, 1:], tokens], 1)
    x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))
    return _decoder_tail(model, torch.cat([x[:, :1], x_], 1))


def decoder_keeps_cls(model, latent, ids_restore):
    x = model.decoder_embed(latent)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n + 1 - x.shape[1], -1)
    x_ = torch.cat([x[:, 1:], tokens], 1)
    x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))
    x = torch.cat([x[:, :1], x_], 1) + model.decoder_pos_embed
    for blk in model.decoder_blocks:
        x = blk(x)
    return model.decoder_pred(model.decoder_norm(x))


# -- 08.4 loss: wrong answers ----------------------------------------------------------


def loss_over_all_patches(pred, patches, mask, norm_pix=True):
    target = normalized_targets(patches) if norm_pix else patches
    return ((pred - target) ** 2).mean()


def loss_normalized_over_batch(pred, patches, mask, norm_pix=True):
    if norm_pix:
        patches = (patches - patches.mean(0, keepdim=True)) / (patches.var(0, keepdim=True) + 1e-6) ** 0.5
    return masked_mse(pred, patches, mask)


def loss_biased_variance(pred, patches, mask, norm_pix=True):
    if norm_pix:
        patches = (patches - patches.mean(-1, keepdim=True)) / (patches.var(-1, keepdim=True, unbiased=False) + 1e-6) ** 0.5
    return masked_mse(pred, patches, mask)


def loss_on_visible(pred, patches, mask, norm_pix=True):
    target = normalized_targets(patches) if norm_pix else patches
    return masked_mse(pred, target, 1 - mask)


def loss_ignores_norm_pix(pred, patches, mask, norm_pix=True):
    return masked_mse(pred, normalized_targets(patches), mask)


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("08.1", masking_keeps_ratio, "fraction *removed*"),
    ("08.1", masking_rounds, "you rounded"),
    ("08.1", masking_descending, "ascending"),
    ("08.1", masking_shuffled_mask, "shuffled order"),
    ("08.1", masking_restore_is_shuffle, "inverse permutation"),
    ("08.2", encoder_without_cls, "[CLS]"),
    ("08.2", encoder_sees_everything, "saw every patch"),
    ("08.2", encoder_positions_after_shuffle, "original* index"),
    ("08.2", encoder_no_final_norm, "final LayerNorm"),
    ("08.3", decoder_forgets_unshuffle, "ids_restore"),
    ("08.3", decoder_mask_tokens_first, "after appending the mask tokens the sequence is in *shuffled* order:"),
    ("08.3", decoder_no_positions, "after appending the mask tokens the sequence is in *shuffled* order:"),
    ("08.3", decoder_keeps_cls, "drop the [CLS]"),
    ("08.4", loss_over_all_patches, "*all* patches"),
    ("08.4", loss_normalized_over_batch, "normalized over the batch"),
    ("08.4", loss_biased_variance, "unbiased variance"),
    ("08.4", loss_on_visible, "*visible* patches"),
    ("08.4", loss_ignores_norm_pix, "norm_pix=False"),
]


def masking_plain_tuple(x, mask_ratio, noise):
    """The right numbers as a plain tuple: the lesson reads .visible, .mask, ..."""
    return tuple(random_masking(x, mask_ratio, noise))


def encoder_freezes_model(model, imgs, mask_ratio, noise):
    """Right numbers, but switches off the gradients of the model it was handed."""
    model.requires_grad_(False)
    return model.forward_encoder(imgs, mask_ratio, noise)


def decoder_zeroes_a_parameter(model, latent, ids_restore):
    out = model.forward_decoder(latent, ids_restore)
    with torch.no_grad():
        model.mask_token.zero_()
    return out


WRONG += [
    ("08.1", masking_plain_tuple, "expected a Masked"),
    ("08.2", encoder_freezes_model, "requires_grad=True, now False"),
    ("08.3", decoder_zeroes_a_parameter, "mask_token was modified"),
]

RIGHT = [("08.2", encoder_right_by_hand)]


def masking_visible_in_index_order(x, mask_ratio, noise):
    """The kept tokens picked with the mask, so they come in index order, not ids_keep's."""
    m = random_masking(x, mask_ratio, noise)
    b, _, d = x.shape
    return Masked(x[m.mask == 0].view(b, -1, d), m.mask, m.ids_restore, m.ids_keep)


def masking_by_scatter(x, mask_ratio, noise):
    """Right: the mask built by scattering zeros at ids_keep, the tokens by indexing."""
    b, n, _ = x.shape
    keep = int(n * (1 - mask_ratio))
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_keep = ids_shuffle[:, :keep]
    mask = torch.ones(b, n, dtype=x.dtype).scatter(1, ids_keep, 0.0)
    return Masked(x[torch.arange(b)[:, None], ids_keep], mask, torch.argsort(ids_shuffle, dim=1), ids_keep)


def encoder_positions_off_by_one(model, imgs, mask_ratio, noise):
    """pos_embed[:, :N]: patch i gets [CLS]'s row 0 shifted in, not its own row 1 + i."""
    from maelearn.masking import random_masking as masking

    enc = model.encoder
    tokens = enc.patch_embed(imgs)
    m = masking(tokens + enc.pos_embed[:, : tokens.shape[1]], mask_ratio, noise=noise)
    x = torch.cat([(enc.cls_token + enc.pos_embed[:, :1]).expand(imgs.shape[0], -1, -1), m.visible], 1)
    for blk in enc.blocks:
        x = blk(x)
    return enc.norm(x), m.mask, m.ids_restore


def _decoder_by_hand(model, latent, ids_restore, norm=True, blocks=None, pos_each=False):
    x = model.decoder_embed(latent)
    b, n = ids_restore.shape
    seq = torch.cat([x[:, 1:], model.mask_token.repeat(b, n + 1 - x.shape[1], 1)], 1)
    seq = seq[torch.arange(b)[:, None], ids_restore]
    x = torch.cat([x[:, :1], seq], 1)
    if not pos_each:
        x = x + model.decoder_pos_embed
    for blk in list(model.decoder_blocks)[:blocks]:
        x = blk(x + model.decoder_pos_embed if pos_each else x)
    return model.decoder_pred(model.decoder_norm(x) if norm else x)[:, 1:]


def decoder_without_norm(model, latent, ids_restore):
    return _decoder_by_hand(model, latent, ids_restore, norm=False)


def decoder_first_block_only(model, latent, ids_restore):
    return _decoder_by_hand(model, latent, ids_restore, blocks=1)


def decoder_positions_every_block(model, latent, ids_restore):
    return _decoder_by_hand(model, latent, ids_restore, pos_each=True)


def decoder_by_indexing(model, latent, ids_restore):
    """Right: repeat and fancy indexing instead of expand and gather."""
    return _decoder_by_hand(model, latent, ids_restore)


def loss_eps_added_to_std(pred, patches, mask, norm_pix=True):
    if norm_pix:
        patches = (patches - patches.mean(-1, keepdim=True)) / (patches.std(-1, keepdim=True) + 1e-6)
    return masked_mse(pred, patches, mask)


def loss_layer_norm_target(pred, patches, mask, norm_pix=True):
    if norm_pix:
        patches = torch.nn.functional.layer_norm(patches, patches.shape[-1:])
    return masked_mse(pred, patches, mask)


def loss_by_boolean_indexing(pred, patches, mask, norm_pix=True):
    """Right: every patch has P values, so the mean over the removed patches' values is the same."""
    target = normalized_targets(patches) if norm_pix else patches
    return ((pred - target) ** 2)[mask.bool()].mean()


WRONG += [
    ("08.1", masking_visible_in_index_order, "in their original order"),
    ("08.2", encoder_positions_off_by_one, "row 1 + i of pos_embed"),
    ("08.3", decoder_without_norm, "decoder_norm"),
    ("08.3", decoder_first_block_only, "not only the first"),
    ("08.3", decoder_positions_every_block, "not before every block"),
    ("08.4", loss_eps_added_to_std, "not / (std + 1e-6)"),
    ("08.4", loss_layer_norm_target, "layer_norm uses the biased variance"),
]
RIGHT += [("08.1", masking_by_scatter), ("08.3", decoder_by_indexing), ("08.4", loss_by_boolean_indexing)]


# -- second audit: the mask's dtype follows the tokens' ------------------------------------------


def _masking_parts(x, mask_ratio, noise):
    b, n, d = x.shape
    keep = int(n * (1 - mask_ratio))
    ids_shuffle = noise.argsort(1)
    ids_restore = ids_shuffle.argsort(1)
    ids_keep = ids_shuffle[:, :keep]
    visible = x.gather(1, ids_keep[..., None].expand(-1, -1, d))
    return visible, (ids_restore >= keep), ids_restore, ids_keep


def masking_float32_mask(x, mask_ratio, noise):
    """Wrong: the mask is always float32 (torch.ones(b, n)), whatever the tokens' dtype."""
    v, m, r, k = _masking_parts(x, mask_ratio, noise)
    return Masked(v, m.float(), r, k)


def masking_by_rank_comparison(x, mask_ratio, noise):
    """Right: a patch is removed when its rank (ids_restore) is K or more."""
    v, m, r, k = _masking_parts(x, mask_ratio, noise)
    return Masked(v, m.to(x.dtype), r, k)


def loss_by_var_mean_rsqrt(pred, patches, mask, norm_pix=True):
    """Right: torch.var_mean and rsqrt, boolean indexing of the removed patches."""
    target = patches
    if norm_pix:
        var, mean = torch.var_mean(patches, dim=-1, keepdim=True)
        target = (patches - mean) * torch.rsqrt(var + 1e-6)
    return ((pred - target) ** 2).mean(-1)[mask.bool()].mean()


WRONG += [("08.1", masking_float32_mask, "your result is torch.float32 but the answer is torch.float64")]
RIGHT += [("08.1", masking_by_rank_comparison), ("08.4", loss_by_var_mean_rsqrt)]
