"""Placeholder until the engine lands: `cmn-matte run` is not registered yet."""


def add_parser(sub):
    pass
