"""Where a campaign reads the server's log, after every answer.

A probe is a callable returning what it saw since it was last called, as
(kind, text) pairs. `LogProbe` reads an in-process simulator's log (stdlib
logging records at ERROR or with an exception, and Twisted log events at
error level or carrying a failure); `StderrProbe` reads a simulator
subprocess's stderr. Their entries are of kind 'log': the campaign turns one
holding a traceback into a 'traceback' problem of the call it followed, any
other into an 'error-log' one. Entries of other kinds (a test's schema
validator) are problems of that kind as they are.
"""
import logging
import queue
import threading

from twisted.logger import LogLevel, formatEvent, globalLogPublisher


class LogProbe:
    """The error log of the simulator running in this process."""

    def __init__(self):
        self._entries = queue.SimpleQueue()
        self._handler = _QueueHandler(self._entries)

    def start(self):
        logging.getLogger().addHandler(self._handler)
        globalLogPublisher.addObserver(self._observe)
        return self

    def stop(self):
        logging.getLogger().removeHandler(self._handler)
        globalLogPublisher.removeObserver(self._observe)

    def _observe(self, event):
        text = error_text(event)
        if text is not None:
            self._entries.put(text)

    def __call__(self):
        return [('log', text) for text in _drain(self._entries)]


class _QueueHandler(logging.Handler):
    def __init__(self, entries):
        super().__init__(logging.ERROR)
        self._entries = entries
        self.setFormatter(logging.Formatter('%(name)s: %(message)s'))

    def emit(self, record):
        self._entries.put(self.format(record))


def error_text(event):
    """The text of a Twisted log event at error level or carrying a failure
    (with its traceback), else None."""
    failure = event.get('log_failure')
    if failure is None and event.get('log_level') not in (LogLevel.error, LogLevel.critical):
        return None
    text = formatEvent(event)
    if failure is not None:
        text += '\n' + failure.getTraceback()
    return text


NEWLINE = '\x1f'   # stands for a newline inside one stderr record


def serve_logging_errors():
    """Run the simulator's command line (sys.argv) with every error logged
    to stderr one record a line (stdlib logging records and Twisted events,
    instead of the CLI's own logging), for StderrProbe."""
    import sys
    from twisted.logger import globalLogBeginner

    class OneLine(logging.Formatter):
        def format(self, record):
            return super().format(record).replace('\n', NEWLINE)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLine('%(name)s: %(message)s'))
    logging.basicConfig(level=logging.ERROR, handlers=[handler])

    def observe(event):
        text = error_text(event)
        if text is not None:
            sys.stderr.write(text.replace('\n', NEWLINE) + '\n')
            sys.stderr.flush()
    globalLogBeginner.beginLoggingTo([observe], redirectStandardIO=False)
    from vimsim.cli import main
    sys.exit(main(begin_logging=False))


class StderrProbe:
    """The stderr of a simulator run by `serve_logging_errors`, read by a
    thread: a line is a record."""

    def __init__(self, stream):
        self._entries = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, b''):
            self._entries.put(line.decode('utf-8', 'replace').rstrip('\n').replace(NEWLINE, '\n'))

    def __call__(self):
        return [('log', text) for text in _drain(self._entries)]


def _drain(entries):
    out = []
    while True:
        try:
            out.append(entries.get_nowait())
        except queue.Empty:
            return out
