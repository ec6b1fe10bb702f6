#!/usr/bin/env bash
# Run this target's playbook in a private IPC namespace, so the segments it creates, removes and
# restores are invisible to (and cannot harm) anything else on the host.
#   ASD_SIM: the asd simulator (default: sim/asd_sim.py of this checkout)
#   SHM_MODULES_PYTHON: interpreter for the modules, with sysv_ipc (default: ansible-test's, else
#   the one beside ansible-playbook, else python3)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../../.." && pwd)
asd_sim=${ASD_SIM:-$top/sim/asd_sim.py}
if [ ! -f "$asd_sim" ] && [ -z "${ASD_SIM:-}" ]; then
    # ansible-test runs a copy of the target; the collection itself is on the collections path.
    IFS=: read -r -a roots <<<"${ANSIBLE_COLLECTIONS_PATH:-}"
    for root in "${roots[@]}"; do
        if [ -f "$root/ansible_collections/fastrestart/aerospike/sim/asd_sim.py" ]; then
            asd_sim=$root/ansible_collections/fastrestart/aerospike/sim/asd_sim.py
            break
        fi
    done
fi
if [ ! -f "$asd_sim" ]; then
    echo "runme.sh: the asd simulator $asd_sim is missing; set ASD_SIM to its path" >&2
    exit 1
fi
python=${SHM_MODULES_PYTHON:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-}}
if [ -z "$python" ]; then
    python=$(dirname "$(command -v ansible-playbook)")/python
    [ -x "$python" ] || python=$(command -v python3)
fi

work=$(mktemp -d /var/tmp/shm_modules.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/play.yml" <<PLAY
- name: Test the shm modules against the asd simulator
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: $here
PLAY

unshare --ipc -- ansible-playbook -i localhost, "$work/play.yml" \
    -e "ansible_python_interpreter=$python" \
    -e "shm_modules_python=$python" \
    -e "shm_modules_asd_sim=$asd_sim" \
    -e "shm_modules_work=$work" "$@"
