"""Pipeline stages: plain functions with typed inputs and outputs.

sync -> validate -> resolve -> profiles -> publish; `run` composes them. Airflow DAGs,
the CLI and the API only call these.
"""
