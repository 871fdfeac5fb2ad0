from shared.without_rich import import_structlog_without_rich

import_structlog_without_rich()  # first: every module of the service imports structlog
