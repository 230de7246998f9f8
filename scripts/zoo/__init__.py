"""Model-zoo architecture replicas for scripts/export_models.py (one module per model family).

Each module exposes builder functions returning (module, make_inputs): a freshly initialized
torch module (random weights drawn from torch's global generator, which the caller seeds) and a
function make_inputs(batch) giving a tuple of random example inputs of that batch size.
"""
