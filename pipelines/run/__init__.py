"""``curation run``: the run config (:mod:`.config`), the stage planner (:mod:`.planner`) and the job
that plans, runs and reports (:mod:`.job`)."""
