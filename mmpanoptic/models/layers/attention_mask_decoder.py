"""Panoptic SegFormer's mask decoder: query masks built from multi-head cross-attention logits.

A query attends to the encoder tokens of several levels (/8, /16, /32). Its mask is not a dot product with a
pixel embedding but a function of its own attention logits (before the softmax): the logits of each level
are mixed across heads by a per-level ``Linear(h, h) + ReLU``, the coarser levels are upsampled bilinearly to
the finest, the levels are concatenated and a ``Linear(h * levels, 1) + ReLU`` gives one non-negative value
per pixel of the finest level (no sigmoid; 0.5 is the mask threshold on the raw values).

Shapes: B images, N queries, C channels, h heads, L = sum of the levels' H_l * W_l tokens, (H1, W1) the
finest level.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmpanoptic.registry import MODELS


class AttentionLogitMask(nn.Module):
    """One mask per query from its attention logits over multi-level tokens.

    Args:
        num_heads (int): attention heads h.
        num_levels (int): token levels, finest first. Defaults to 3.
    """

    def __init__(self, num_heads: int, num_levels: int = 3):
        super().__init__()
        self.num_levels = num_levels
        self.level_fcs = nn.ModuleList(
            nn.Sequential(nn.Linear(num_heads, num_heads), nn.ReLU()) for _ in range(num_levels))
        self.fuse_fc = nn.Sequential(nn.Linear(num_heads * num_levels, 1), nn.ReLU())

    def forward(self, logits: Tensor, spatial_shapes: Sequence[Tuple[int, int]]) -> Tensor:
        """
        Args:
            logits (Tensor): attention logits before the softmax (B, h, N, L).
            spatial_shapes (sequence): (H_l, W_l) of each level, finest first; sum of H_l * W_l = L.

        Returns:
            Tensor: masks (B, N, H1, W1), non-negative.
        """
        if len(spatial_shapes) != self.num_levels:
            raise ValueError(f'{self.num_levels} token levels expected, got spatial shapes {spatial_shapes}')
        batch, heads, num_queries, _ = logits.shape
        first = tuple(int(s) for s in spatial_shapes[0])
        logits = logits.permute(0, 2, 3, 1)  # (B, h, N, L) -> (B, N, L, h)
        sizes = [int(h) * int(w) for h, w in spatial_shapes]
        levels = []
        for fc, part, (h, w) in zip(self.level_fcs, logits.split(sizes, dim=2), spatial_shapes):
            part = fc(part)  # (B, N, H_l * W_l, h)
            if (int(h), int(w)) != first:
                part = part.permute(0, 1, 3, 2).reshape(batch * num_queries, heads, int(h), int(w))
                part = F.interpolate(part, size=first, mode='bilinear', align_corners=False)
                part = part.permute(0, 2, 3, 1).reshape(batch, num_queries, first[0] * first[1], heads)
            levels.append(part)
        masks = self.fuse_fc(torch.cat(levels, dim=-1))  # (B, N, H1 * W1, 1)
        return masks.reshape(batch, num_queries, *first)


class MaskCrossAttention(nn.Module):
    """Multi-head cross-attention that also returns the attention-logit mask of each query.

    Args:
        embed_dims (int): C. num_heads (int): h. num_levels (int): token levels of the mask.
        with_value (bool): also compute the attended values (False for the decoder's tail, which only gives
            the final mask). Defaults to True.
    """

    def __init__(self, embed_dims: int, num_heads: int, num_levels: int = 3, with_value: bool = True):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not a multiple of num_heads {num_heads}')
        self.num_heads = num_heads
        self.scale = (embed_dims // num_heads)**-0.5
        self.q = nn.Linear(embed_dims, embed_dims)
        self.k = nn.Linear(embed_dims, embed_dims)
        self.with_value = with_value
        if with_value:
            self.v = nn.Linear(embed_dims, embed_dims)
            self.proj = nn.Linear(embed_dims, embed_dims)
        self.mask = AttentionLogitMask(num_heads, num_levels)

    def _heads(self, x: Tensor) -> Tensor:
        batch, length, channels = x.shape  # (B, T, C) -> (B, h, T, C / h)
        return x.reshape(batch, length, self.num_heads, channels // self.num_heads).transpose(1, 2)

    def forward(self, query: Tensor, key: Tensor, value: Optional[Tensor],
                spatial_shapes: Sequence[Tuple[int, int]],
                key_padding_mask: Optional[Tensor] = None) -> Tuple[Optional[Tensor], Tensor]:
        """
        Args:
            query (Tensor): (B, N, C). key (Tensor): (B, L, C). value (Tensor | None): (B, L, C).
            spatial_shapes (sequence): (H_l, W_l) of the token levels, finest first.
            key_padding_mask (Tensor, optional): (B, L), True at padded tokens: they get no attention weight
                (their mask values are cropped away later). None: no padding.

        Returns:
            tuple: attended output (B, N, C) (None without value) and masks (B, N, H1, W1).
        """
        logits = (self._heads(self.q(query)) @ self._heads(self.k(key)).transpose(-2, -1)) * self.scale
        masks = self.mask(logits, spatial_shapes)  # from the logits before the softmax
        if not self.with_value:
            return None, masks
        if key_padding_mask is not None:
            logits = logits.masked_fill(key_padding_mask[:, None, None, :], float('-inf'))
        out = logits.softmax(-1) @ self._heads(self.v(value))  # (B, h, N, C / h)
        out = out.transpose(1, 2).flatten(2)
        return self.proj(out), masks


class AttentionMaskDecoderLayer(nn.Module):
    """[self-attention ->] cross-attention -> MLP, each post-norm (LayerNorm eps 1e-6), dropout-free.

    Args:
        embed_dims (int): C. num_heads (int): h. feedforward_channels (int): MLP width.
        num_levels (int): token levels. with_self_attn (bool): the stuff decoder's self-attention.
    """

    def __init__(self, embed_dims: int, num_heads: int, feedforward_channels: int, num_levels: int = 3,
                 with_self_attn: bool = False):
        super().__init__()
        self.with_self_attn = with_self_attn
        if with_self_attn:
            self.self_attn = nn.MultiheadAttention(embed_dims, num_heads, batch_first=True)
            self.self_attn_norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.cross_attn = MaskCrossAttention(embed_dims, num_heads, num_levels)
        self.cross_attn_norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.ffn = nn.Sequential(
            nn.Linear(embed_dims, feedforward_channels), nn.GELU(), nn.Linear(feedforward_channels, embed_dims))
        self.ffn_norm = nn.LayerNorm(embed_dims, eps=1e-6)

    def forward(self, query: Tensor, memory: Tensor, spatial_shapes: Sequence[Tuple[int, int]],
                key_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """
        Args:
            query (Tensor): (B, N, C), positional part already added. memory (Tensor): tokens (B, L, C).
            spatial_shapes, key_padding_mask: see :class:`MaskCrossAttention`.

        Returns:
            tuple: the updated queries (B, N, C) and the masks (B, N, H1, W1) of this layer's attention.
        """
        if self.with_self_attn:
            query = self.self_attn_norm(query + self.self_attn(query, query, query, need_weights=False)[0])
        out, masks = self.cross_attn(query, memory, memory, spatial_shapes, key_padding_mask)
        query = self.cross_attn_norm(query + out)
        query = self.ffn_norm(query + self.ffn(query))
        return query, masks


@MODELS.register_module()
class AttentionMaskDecoder(BaseModule):
    """``num_layers`` :class:`AttentionMaskDecoderLayer` and a tail (query/key projections and the mask only)
    that gives the final masks: Panoptic SegFormer's things (4 layers) and stuff (6 layers, self-attention)
    mask decoders.

    The positional part of the queries is added to the input of every layer and of the tail (so it is
    re-added at each step); the memory has none. All weight matrices are Xavier-uniform initialised.

    Args:
        embed_dims (int): C. Defaults to 256.
        num_heads (int): h. Defaults to 8.
        num_layers (int): decoder layers. Defaults to 4.
        feedforward_channels (int): Defaults to 1024.
        num_levels (int): token levels of the memory. Defaults to 3.
        with_self_attn (bool): Defaults to False.
        init_cfg (dict, optional): ignored by :meth:`init_weights` (Xavier, as the official decoder).
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_layers: int = 4,
                 feedforward_channels: int = 1024, num_levels: int = 3, with_self_attn: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.num_layers = num_layers
        self.layers = nn.ModuleList(
            AttentionMaskDecoderLayer(embed_dims, num_heads, feedforward_channels, num_levels, with_self_attn)
            for _ in range(num_layers))
        self.tail = MaskCrossAttention(embed_dims, num_heads, num_levels, with_value=False)

    def init_weights(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, query: Tensor, memory: Tensor, spatial_shapes: Sequence[Tuple[int, int]],
                query_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, List[Tensor], List[Tensor]]:
        """
        Args:
            query (Tensor): (B, N, C); N may be 0.
            memory (Tensor): tokens of the mask levels (B, L, C), finest level first.
            spatial_shapes (sequence): (H_l, W_l) of the levels.
            query_pos (Tensor, optional): positional part (B, N, C), added before every layer.
            key_padding_mask (Tensor, optional): (B, L), True at padded tokens.

        Returns:
            tuple: final masks (B, N, H1, W1); the masks of each layer (num_layers x (B, N, H1, W1));
            the queries after each layer (num_layers x (B, N, C)).
        """
        layer_masks, layer_queries = [], []
        for layer in self.layers:
            query, masks = layer(query if query_pos is None else query + query_pos, memory, spatial_shapes,
                                 key_padding_mask)
            layer_masks.append(masks)
            layer_queries.append(query)
        _, masks = self.tail(query if query_pos is None else query + query_pos, memory, None, spatial_shapes)
        return masks, layer_masks, layer_queries
