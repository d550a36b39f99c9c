"""How a network runs a batch: executors behind one forward/backward interface (see core.engine)."""
