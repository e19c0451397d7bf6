"""make awx: playbooks/audit.yml and playbooks/onboard.yml run through ansible-runner as AWX runs a job.

Each job gets a private data dir under .build/awx/<job>/ as AWX hands one to ansible-runner:

- ``env/envvars``: the HOSTED_EXCHANGE_* variables the credential type of docs/awx.md injects
  (provider, api_url of a Rackspace sandbox on loopback, api_user, api_secret, account, the hires'
  initial password and the shared mailbox's own), ANSIBLE_COLLECTIONS_PATH (the collection
  `make install` put in .build/collections, where an execution environment has it installed),
  HOSTED_EXCHANGE_RATE_WINDOW (the sandbox is time-scaled, so 1,000 hires take minutes, not hours)
  and MAX_EVENT_RES (below);
- ``env/extravars``: the hire list (AWX_HIRES hires, default 1,000); ``env/settings``: the job
  timeout (AWX_JOB_TIMEOUT seconds, default 900); ``env/cmdline``: ``--diff`` for the audit;
  ``inventory/hosts``: localhost;
- ``project/``: a copy of playbooks/, the project AWX checks out.

The audit job (check mode always, with --diff as "Show Changes" gives it) runs first, on a domain
holding only the shared mailbox and one mailbox nobody listed; then the onboard job creates the
hires. What must hold, each its own test: both jobs succeed; each publishes its drift report in the
stats event's artifact data (set_stats, hosted_exchange_drift); no secret appears in any event or
in stdout; the roster task's event result stays within AWX's limit; no report file lands in the
project directory (nobody asked for one; an execution environment throws it away).

The limit: AWX hands ansible-runner MAX_EVENT_RES (its MAX_EVENT_RES_DATA setting, 700,000 by
default), and ansible-runner's event callback replaces an event's ``res`` by ``{}`` when
``len(str(res))`` exceeds it - AWX then shows an empty result. The gate raises MAX_EVENT_RES so the
result survives to be measured, and asserts ansible-runner's own test against 700,000 on it; the
measured sizes are printed at the end of the run.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess

import pytest
import yaml

from tests.integration.harness import REPO_ROOT, collections_path
from tests.sandbox import start_sandbox

HIRES = int(os.environ.get('AWX_HIRES') or 1000)
JOB_TIMEOUT = int(os.environ.get('AWX_JOB_TIMEOUT') or 900)
AWX_MAX_EVENT_RES = 700000  # AWX's MAX_EVENT_RES_DATA default
MEASURING_MAX_EVENT_RES = 10 ** 10
SCALE = 0.01  # the sandbox's minute lasts 0.6 s; the modules pace to the same window
DOMAIN = 'example.com'
SHARED = 'support'
UNLISTED = 'old.timer'
ROSTER_ACTIONS = ('mailops.hosted_exchange.mailbox_roster', 'mailbox_roster')
AWX_DIR = REPO_ROOT / '.build' / 'awx'
RUNNER = REPO_ROOT / '.venv' / 'bin' / 'ansible-runner'
JOBS = ('audit', 'onboard')

# Filled by the jobs fixture, printed by conftest.py's terminal summary.
MEASURED = {}


def hires(count):
    return [{'name': 'hire%04d' % n, 'display_name': 'Hire %d' % n, 'first_name': 'Hire', 'last_name': str(n),
             'department': 'Finance', 'job_title': 'Clerk'} for n in range(1, count + 1)]


class Job:
    """One ansible-runner run in its own private data dir, read back from its artifacts."""

    def __init__(self, name, private_dir, completed):
        self.name = name
        self.dir = private_dir
        self.artifacts = private_dir / 'artifacts' / name
        self.rc = completed.returncode
        self.output = completed.stdout
        self.status = self._read('status')
        self.events = [json.loads(path.read_text(encoding='utf-8'))
                       for path in sorted((self.artifacts / 'job_events').glob('*.json'),
                                          key=lambda path: int(path.name.split('-', 1)[0]))]

    def _read(self, name):
        path = self.artifacts / name
        return path.read_text(encoding='utf-8').strip() if path.exists() else None

    def texts(self):
        """Everything AWX shows or stores of the job: every event and the job's stdout."""
        yield 'stdout', self._read('stdout') or ''
        yield 'ansible-runner output', self.output
        for path in sorted((self.artifacts / 'job_events').glob('*.json')):
            yield 'job_events/' + path.name, path.read_text(encoding='utf-8')

    def roster_events(self):
        # A looped task (the roles' batches) sends one event per item and one for the task, which holds every
        # item's result: each must stay within the limit.
        kinds = ('runner_on_ok', 'runner_on_failed', 'runner_item_on_ok', 'runner_item_on_failed')
        return [event for event in self.events
                if event['event'] in kinds and event['event_data'].get('task_action') in ROSTER_ACTIONS]

    def stats(self):
        found = [event for event in self.events if event['event'] == 'playbook_on_stats']
        assert len(found) == 1, '%s: %d playbook_on_stats events' % (self.name, len(found))
        return found[0]['event_data']

    def __str__(self):
        return '%s job: ansible-runner exited %s, status %s\n%s' % (self.name, self.rc, self.status, self.output[-6000:])


def run_job(name, playbook, envvars, extravars, cmdline=''):
    private_dir = AWX_DIR / name
    shutil.rmtree(private_dir, ignore_errors=True)
    (private_dir / 'env').mkdir(parents=True)
    (private_dir / 'inventory').mkdir()
    shutil.copytree(REPO_ROOT / 'playbooks', private_dir / 'project')
    (private_dir / 'env' / 'envvars').write_text(yaml.safe_dump(envvars), encoding='utf-8')
    (private_dir / 'env' / 'extravars').write_text(yaml.safe_dump(extravars), encoding='utf-8')
    (private_dir / 'env' / 'settings').write_text(yaml.safe_dump({'job_timeout': JOB_TIMEOUT}), encoding='utf-8')
    (private_dir / 'inventory' / 'hosts').write_text('localhost ansible_connection=local\n', encoding='utf-8')
    if cmdline:
        (private_dir / 'env' / 'cmdline').write_text(cmdline, encoding='utf-8')

    # ansible-runner's own environment: the venv's tools, nothing of the caller's ANSIBLE_* or
    # HOSTED_EXCHANGE_* (the job gets those from env/envvars only)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('ANSIBLE_', 'HOSTED_EXCHANGE_', 'MAX_EVENT_RES'))}
    env['PATH'] = '%s%s%s' % (RUNNER.parent, os.pathsep, os.environ.get('PATH', ''))
    cmd = [str(RUNNER), 'run', str(private_dir), '-p', playbook, '--ident', name]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        stdout = proc.communicate(timeout=JOB_TIMEOUT + 60)[0]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout = proc.communicate()[0]
        stdout += '\n*** killed after %ss ***' % (JOB_TIMEOUT + 60)
    return Job(name, private_dir, subprocess.CompletedProcess(cmd, proc.returncode, stdout))


@pytest.fixture(scope='module')
def credential():
    """What the credential type injects; the secrets are new for every run."""
    return {
        'api_user': 'awx-gate-user',
        'api_secret': 'awx-secret-' + secrets.token_hex(12),
        'initial_password': 'Hire-Pw-%s-9' % secrets.token_hex(8),
        'shared_password': 'Shared-Pw-%s-9' % secrets.token_hex(8),
    }


@pytest.fixture(scope='module')
def jobs(credential):
    fixture = {'domains': {DOMAIN: {'mailboxes': [{'name': SHARED, 'displayName': 'Customer Support', 'size': 2048},
                                                  {'name': UNLISTED, 'displayName': 'Old Timer', 'size': 2048}]}}}
    sandbox = start_sandbox('rackspace', api_user=credential['api_user'], api_secret=credential['api_secret'],
                            fixture=fixture, time_scale=SCALE)
    try:
        envvars = {
            'HOSTED_EXCHANGE_PROVIDER': 'rackspace',
            'HOSTED_EXCHANGE_API_URL': sandbox.url,
            'HOSTED_EXCHANGE_API_USER': credential['api_user'],
            'HOSTED_EXCHANGE_API_SECRET': credential['api_secret'],
            'HOSTED_EXCHANGE_ACCOUNT': 'me',
            'HOSTED_EXCHANGE_INITIAL_PASSWORD': credential['initial_password'],
            'HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD': credential['shared_password'],
            'HOSTED_EXCHANGE_RATE_WINDOW': str(60 * SCALE),
            'ANSIBLE_COLLECTIONS_PATH': collections_path(),
            'MAX_EVENT_RES': str(MEASURING_MAX_EVENT_RES),
        }
        extravars = {'onboard_hires': hires(HIRES)}
        done = {'audit': run_job('audit', 'audit.yml', envvars, extravars, cmdline='--diff')}
        done['audit'].writes = sandbox.writes()
        done['onboard'] = run_job('onboard', 'onboard.yml', envvars, extravars)
        done['onboard'].mailboxes = sorted(sandbox.state.domain(DOMAIN).mailboxes)
        for name, job in done.items():
            sizes = [(event['event'].startswith('runner_item_'), len(str(event['event_data']['res'])))
                     for event in job.roster_events()]
            MEASURED[name] = {'batches': sum(1 for item, _size in sizes if item),
                              'largest batch': max([size for item, size in sizes if item] or [0]),
                              'largest task result': max([size for item, size in sizes if not item] or [0])}
        yield done
    finally:
        sandbox.stop()


@pytest.mark.parametrize('name', JOBS)
def test_the_job_succeeds(jobs, name):
    job = jobs[name]
    assert job.rc == 0 and job.status == 'successful', job


def test_the_audit_wrote_nothing_and_the_onboarding_created_every_hire(jobs):
    assert jobs['audit'].writes == []
    assert jobs['onboard'].mailboxes == sorted([hire['name'] for hire in hires(HIRES)] + [SHARED, UNLISTED])


@pytest.mark.parametrize('name', JOBS)
def test_the_drift_report_is_in_the_stats_artifact_data(jobs, name):
    data = jobs[name].stats().get('artifact_data') or {}
    assert 'hosted_exchange_drift' in data, '%s job: artifact_data holds %s' % (name, sorted(data))
    report = data['hosted_exchange_drift'][DOMAIN]
    [domain] = report['domains']
    assert domain['domain'] == DOMAIN
    assert sorted(domain['to_create']) == sorted(hire['name'] for hire in hires(HIRES))
    if name == 'audit':  # onboard_unlisted: report
        assert domain['unlisted'] == [UNLISTED]


def test_no_secret_in_any_event_or_stdout(jobs, credential):
    found = []
    for name, job in jobs.items():
        assert job.events, '%s job: no events' % name
        for where, text in job.texts():
            found += ['%s job, %s: %s' % (name, where, key) for key, value in sorted(credential.items())
                      if key != 'api_user' and value in text]
    assert found == []


@pytest.mark.parametrize('name', JOBS)
def test_the_roster_event_result_stays_within_awx_limit(jobs, name):
    events = jobs[name].roster_events()
    # the domain's size (for the batch size), the batches one item each, and the batch task's whole result
    batches = [event for event in events if event['event'].startswith('runner_item_')]
    assert len(batches) >= 2 and len(events) == len(batches) + 2, '%s job: %d roster task events, %d batches' % (
        name, len(events), len(batches))
    for event in events:
        res = event['event_data']['res']
        assert res, '%s job: a roster event has no result' % name
        size = len(str(res))  # ansible-runner's own measure (awx_display.py)
        assert size <= AWX_MAX_EVENT_RES, ('%s job, %d hires: a roster task result is %d characters; ansible-runner '
                                           'drops a result over %d (AWX shows {})'
                                           % (name, HIRES, size, AWX_MAX_EVENT_RES))


def test_no_report_file_lands_in_the_project_directory(jobs):
    shipped = sorted(str(path.relative_to(REPO_ROOT / 'playbooks')) for path in (REPO_ROOT / 'playbooks').rglob('*'))
    for name, job in jobs.items():
        project = job.dir / 'project'
        now = sorted(str(path.relative_to(project)) for path in project.rglob('*'))
        assert [path for path in now if path not in shipped] == [], '%s job wrote into the project directory' % name
