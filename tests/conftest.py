import logging

import structlog


def pytest_configure() -> None:
    # The server logs every connection at info level; in tests only warnings are worth reading.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
