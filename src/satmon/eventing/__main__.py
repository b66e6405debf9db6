"""``python -m satmon.eventing dispatch``: the dispatcher without the full satmon CLI."""

from satmon.eventing.cli import eventing_app

if __name__ == "__main__":
    eventing_app(prog_name="satmon-eventing")
