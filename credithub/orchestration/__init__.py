"""Glue between Airflow and the pipeline stages: task bodies, retry policy, deadline callbacks.

The stage functions stay plain Python; Airflow only composes them (see dags/).
"""
