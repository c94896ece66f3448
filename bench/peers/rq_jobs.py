"""RQ peer: the echo job (imported by the rq workers, cwd bench/peers)."""


def echo(payload):
    return payload
