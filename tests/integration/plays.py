"""Building blocks for the playbooks the integration tests run."""


def play(*tasks):
    """One play on localhost running these tasks."""
    return {"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}


def task(title, module, **args):
    """A task named title calling mailops.hosted_exchange.<module> with args."""
    return {"name": title, "mailops.hosted_exchange." + module: args}
