"""Document-level logic (extraction, C4/Gopher rules, language id, quality, MinHash).

Nothing here imports Beam: every unit is testable on plain dicts.
"""
