def run_all(world, report):
    pass
