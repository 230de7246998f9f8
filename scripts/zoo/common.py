"""Helpers shared by the zoo builders and scripts/export_models.py."""
import torch
import torch.nn as nn

NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm,
              nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


def randomize_norms(model):
    """Gives every norm layer still at its identity init (weight 1, bias 0) non-trivial affine
    parameters: weight ~ U(0.5, 1.5), bias ~ N(0, 0.1).

    Identity-init norms would let a kernel that drops the affine step pass. Layers that are
    already non-trivial are left alone, so calling this twice changes nothing (a builder may
    randomize a larger model than the part it exports; see zoo/whisper.py).
    """
    with torch.no_grad():
        for m in model.modules():
            w, b = getattr(m, "weight", None), getattr(m, "bias", None)
            if not isinstance(m, NORM_TYPES) or w is None or b is None:
                continue
            if bool((w == 1).all()) and bool((b == 0).all()):
                w.uniform_(0.5, 1.5)
                b.normal_(0.0, 0.1)
    return model
