"""Entity resolution: identifiers, company names and the matcher that groups records into companies.

The matcher is a pure in-memory library (no database); credithub.pipeline.resolve is its
database adapter and `credithub resolve` its standalone command line.
"""
