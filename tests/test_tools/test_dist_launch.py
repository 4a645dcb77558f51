"""tools/dist_train.sh and tools/dist_test.sh choose the rendezvous port: a free one when PORT is not set, and
PORT checked before torchrun starts. A fake interpreter stands in for torchrun (it runs ``-c`` snippets with the
real Python and prints the other command lines), so no process group is started."""
import os
import socket
import subprocess

import pytest

SCRIPTS = {'tools/dist_train.sh': ['nope.py', '1'], 'tools/dist_test.sh': ['nope.py', 'nope.pth', '1']}
IN_USE = 'error: port {} is in use (unset PORT to pick a free one, or choose another)'


@pytest.fixture
def fake_python(tmp_path, python_exe):
    path = tmp_path / 'python'
    path.write_text(f'#!/usr/bin/env bash\nif [[ "$1" == "-c" ]]; then exec "{python_exe}" "$@"; fi\n'
                    'printf "launch %s\\n" "$*"\n')
    path.chmod(0o755)
    return str(path)


def launch(repo_root, script, python, **env):
    variables = {k: v for k, v in os.environ.items() if k not in ('PORT', 'NNODES', 'NODE_RANK', 'MASTER_ADDR')}
    variables.update(PYTHON=python, **env)
    return subprocess.run(['bash', script] + SCRIPTS[script], cwd=repo_root, env=variables, capture_output=True,
                          text=True, timeout=60)


def master_port(stdout: str) -> int:
    launches = [line for line in stdout.splitlines() if line.startswith('launch ')]
    assert len(launches) == 1, stdout
    ports = [word.split('=', 1)[1] for word in launches[0].split() if word.startswith('--master_port=')]
    assert len(ports) == 1, launches
    return int(ports[0])


@pytest.mark.parametrize('script', list(SCRIPTS))
def test_busy_port_stops_before_torchrun(script, repo_root, python_exe):
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = launch(repo_root, script, python_exe, PORT=str(port))
    assert result.returncode != 0
    assert result.stderr.splitlines() == [IN_USE.format(port)]
    assert result.stdout == ''


@pytest.mark.parametrize('script', list(SCRIPTS))
def test_free_port_is_picked_without_port(script, repo_root, fake_python):
    result = launch(repo_root, script, fake_python)
    assert result.returncode == 0, result.stderr
    port = master_port(result.stdout)
    assert 1024 <= port <= 65535
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', port))  # released again, so torchrun can take it


def test_given_free_port_is_used(repo_root, fake_python):
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    result = launch(repo_root, 'tools/dist_train.sh', fake_python, PORT=str(port))
    assert result.returncode == 0, result.stderr
    assert master_port(result.stdout) == port


@pytest.mark.parametrize('env, message', [
    (dict(NNODES='2'), 'error: PORT is not set (a multi-node run, NNODES=2, needs the same free PORT'),
    (dict(PORT='http'), 'error: PORT=http is not a port number'),
    (dict(PORT='70000'), 'error: PORT=70000 is not a port number'),
])
def test_port_mistakes(env, message, repo_root, fake_python):
    result = launch(repo_root, 'tools/dist_train.sh', fake_python, **env)
    assert result.returncode != 0 and result.stdout == ''
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr
