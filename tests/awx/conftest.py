"""make awx: prints the measured size of each job's roster event result at the end of the run."""

from tests.awx import test_awx_path


def pytest_terminal_summary(terminalreporter):
    if not test_awx_path.MEASURED:
        return
    terminalreporter.section('roster task event result, %d hires (ansible-runner drops one over %d characters)'
                             % (test_awx_path.HIRES, test_awx_path.AWX_MAX_EVENT_RES))
    for name, sizes in sorted(test_awx_path.MEASURED.items()):
        terminalreporter.write_line('{:8} {:,} batches, largest batch result {:,} characters, largest task result '
                                    '(every batch in one) {:,} characters'.format(
                                        name, sizes['batches'], sizes['largest batch'], sizes['largest task result']))
