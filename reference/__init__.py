"""The instructor's solution and the catalogue of known wrong variants (mutants).

Only the grader's parent process imports this package: student code never sees it.
"""
