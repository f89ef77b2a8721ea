"""JSON log lines carry batch and department, bound by context, across threads."""

from __future__ import annotations

import io
import json
import logging
import threading

from credithub.observability.logs import bind, configure_logging, log_context


def test_every_line_has_batch_and_department() -> None:
    stream = io.StringIO()
    handler = configure_logging(json_lines=True, stream=stream)
    try:
        lib = logging.getLogger("some.library")
        lib.info("outside")
        with log_context(batch=12, department="tax", stage="validate"):
            lib.warning("第 %d 行 校验失败", 3)
            with log_context(batch=13):
                logging.getLogger("credithub.x").info("nested")

        def worker() -> None:
            with log_context(batch=99, department="customs"):
                lib.info("thread")

        with log_context(batch=1, department="courts"):
            t = threading.Thread(target=worker)
            t.start()
            t.join()
            bind(lib, record="r-7").error("adapter", extra={"field": "uscc"})
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all("batch" in x and "department" in x for x in lines)
    by_msg = {x["message"]: x for x in lines}
    assert (by_msg["outside"]["batch"], by_msg["outside"]["department"]) == (None, None)
    assert (by_msg["第 3 行 校验失败"]["batch"], by_msg["第 3 行 校验失败"]["stage"]) == (12, "validate")
    assert (by_msg["nested"]["batch"], by_msg["nested"]["department"]) == (13, "tax")
    assert (by_msg["thread"]["batch"], by_msg["thread"]["department"]) == (99, "customs")
    assert by_msg["adapter"]["record"] == "r-7" and by_msg["adapter"]["field"] == "uscc"
    assert by_msg["adapter"]["department"] == "courts" and by_msg["adapter"]["level"] == "ERROR"


def test_context_reaches_structlog_as_airflow_task_logs_use_it() -> None:
    import structlog

    out = io.StringIO()
    logger = structlog.wrap_logger(
        structlog.PrintLogger(out),
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.JSONRenderer()],
    )
    with log_context(batch=5, department="tax"):
        logger.info("inside")
    logger.info("after")
    inside, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert (inside["batch"], inside["department"]) == (5, "tax")
    assert "batch" not in after
