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
