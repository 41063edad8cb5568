"""Training the CMN: data (cmn_vfx_training.data), augmentation, losses, the loop, configs.

    from cmn_vfx_training.data import build_dataset
    dataset = build_dataset({'prior': 'simulated', 'size': [288, 512]})

See docs/data.md for the data keys and training/README.md for the recipes.
"""
