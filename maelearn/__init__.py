"""maelearn: the library behind the course "from classical features to Masked Autoencoders".

Import what you need from its modules, one idea each::

    from maelearn.patches import patchify, unpatchify
    from maelearn.masking import random_masking
    from maelearn.mae import MAE, build_mae

The top level only re-exports the course switches (quick/full mode, device, seeding), so
``import maelearn`` stays cheap and has no side effects.
"""

from maelearn.config import budget, device, is_full, is_quick, mode, seed_everything, set_mode

__version__ = "0.1.0"
__all__ = ["budget", "device", "is_full", "is_quick", "mode", "seed_everything", "set_mode", "__version__"]
