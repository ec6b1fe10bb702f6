#!/bin/sh
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# A host runs a verbatim copy as /usr/bin/asinfo: sh runs the exec line below, Python reads it as the
# start of the docstring. (ansible-test's shebang rule refuses #!/usr/bin/python3 outside modules,
# and the hosts have no /usr/bin/python.)
""":"
exec /usr/bin/python3 "$0" "$@"
":"

The simulated ``asinfo`` of a fleet host (see sim/README.md, "Simulated fleet").

It answers the info commands that the roles use with the exact values, error strings, output
shaping and exit codes of Aerospike's asinfo (sim/README.md), for the server version that the local
asd reports ("build" in its node json). There is no server socket: the "cluster" is the set of
simulated asd processes that share one cluster folder (env ASD_SIM_CLUSTER_DIR):

- ``nodes/<id>.lock`` is flocked by a running asd and ``nodes/<id>.json`` describes it
  (pid, started_at, namespaces, build, ready). Members are the nodes whose lock is held and whose
  json says ready. The local node is ASD_SIM_NODE_ID; when it is not a member, asinfo prints
  the connection error, as the real one does while asd is down or still loading. The lock is the
  kernel's (flock), so this holds wherever asd runs: daemonized, or in the foreground under
  systemd, in any PID namespace.
- ``state.json`` (under ``state.lock``) holds the cluster key, the time of the last rebalance
  and the nodes whose quiesce that rebalance applied. A rebalance happens when membership changes
  (a node joins, leaves or restarts) or on the principal's ``recluster:``; migrations then run
  for ASD_SIM_MIGRATION_SECONDS (default 3, or ``config.json`` "migration_seconds").
- ``quiesce/<id>.json`` holds a node's pending quiesce, tied to that asd's pid and start time,
  so a restarted asd comes back un-quiesced.

ASD_SIM_* settings come from the environment, else from the host's /etc/sysconfig/aerospike (the
unit's EnvironmentFile; $ASD_SIM_SYSCONFIG names another file), so asinfo over ssh needs no
wrapper. Standard library only.
"""

from __future__ import absolute_import, division, print_function

import argparse
import errno
import fcntl
import glob
import hashlib
import json
import math
import os
import random
import re
import socket
import sys
import tempfile
import time

__metaclass__ = type

PARTITIONS = 4096
DEFAULT_BUILD = '7.1.0.0'
DEFAULT_MIGRATION_SECONDS = 3.0
SYSCONFIG = '/etc/sysconfig/aerospike'
JOURNAL_SOCKET = '/run/systemd/journal/socket'

# Values must be sent bare on 5.0-7.0; commands must carry their colon there.
VALUES = ('statistics', 'status', 'build', 'node', 'namespaces', 'services', 'version', 'edition',
          'peers-clear-std', 'cluster-name', 'rack-ids')
COMMANDS = ('cluster-stable', 'quiesce', 'quiesce-undo', 'recluster', 'latencies', 'racks', 'roster', 'roster-set',
            'get-config', 'set-config')
# A namespace's settings when the node json has none (asd publishes aerospike.conf's; racks.md 1.3).
NAMESPACE_DEFAULTS = {'replication-factor': 2, 'rack-id': 0, 'strong-consistency': False}
MAX_RACK_ID = 1000000
# Rebalances remembered for placement: the settled one and those still migrating.
MAX_LAYOUTS = 16
LATENCY_HISTS = ('read', 'write', 'udf', 'batch-sub-read', 'batch-sub-write', 'batch-sub-udf', 'pi-query', 'si-query')


# ----------------------------------------------------------------------------------------------
# settings

def read_sysconfig(path=None):
    """{KEY: VALUE} of the host's /etc/sysconfig/aerospike ($ASD_SIM_SYSCONFIG), {} when there is none.

    The same reading as sim/asd_sim.py's (each script stands alone on a host): KEY=VALUE lines,
    blank lines and # comments skipped, an optional 'export ' dropped, one pair of quotes removed.
    """
    path = path or os.environ.get('ASD_SIM_SYSCONFIG') or SYSCONFIG
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return {}
    out = {}
    for line in lines:
        line = line.strip()
        if line.startswith('export '):
            line = line[len('export '):].lstrip()
        name, equals, value = line.partition('=')
        name, value = name.strip(), value.strip()
        if not equals or not name or name.startswith('#'):
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        out[name] = value
    return out


def setting(name, default=None):
    """An ASD_SIM_* setting: from the environment, else from the host's settings file, else default."""
    value = os.environ.get(name) or read_sysconfig().get(name)
    return value if value else default


# ----------------------------------------------------------------------------------------------
# versions

def version_tuple(build):
    parts = []
    for piece in str(build).split('.')[:4]:
        digits = ''.join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 4:
        parts.append(0)
    return tuple(parts)


def band(build):
    """'old' for 5.0-7.0, '7.1', 'new' for 7.2 and later: the server versions whose info replies differ."""
    version = version_tuple(build)
    if version < (7, 1):
        return 'old'
    if version < (7, 2):
        return '7.1'
    return 'new'


# ----------------------------------------------------------------------------------------------
# the shared cluster folder

def flocked(path):
    """True when another process holds a lock on path; a shared probe that it drops at once."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return True
        raise
    finally:
        os.close(fd)
    return False


def _load_json(path, default=None):
    for _attempt in range(5):
        try:
            with open(path) as handle:
                return json.load(handle)
        except (IOError, OSError):
            return default
        except ValueError:
            # Caught mid-write by a writer that does not rename; read again.
            time.sleep(0.01)
    return default


def _save_json(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-')
    with os.fdopen(fd, 'w') as handle:
        json.dump(data, handle, sort_keys=True)
    os.rename(tmp, path)


def node_hex(node_id, info=None):
    """Uppercase hex node id, stable across restarts (asd's json may give its own)."""
    if info and info.get('node'):
        return str(info['node']).upper()
    return 'BB9' + hashlib.sha1(node_id.encode('utf-8')).hexdigest()[:12].upper()


def namespace_names(info):
    names = []
    for entry in info.get('namespaces') or []:
        if isinstance(entry, dict):
            entry = entry.get('name')
        if entry:
            names.append(str(entry))
    return names


def _new_key(old=None):
    while True:
        key = '%X' % random.getrandbits(48)
        if key != '0' and key != old:
            return key


class Cluster(object):
    """One consistent look at the shared cluster folder, taken under its lock."""

    def __init__(self, cluster_dir, migration_seconds=None):
        self.dir = cluster_dir
        self.now = time.time()
        self.members = {}
        for path in sorted(glob.glob(os.path.join(cluster_dir, 'nodes', '*.json'))):
            node_id = os.path.basename(path)[:-len('.json')]
            info = _load_json(path)
            # The lock probe comes second: asd takes its lock with LOCK_NB, so probing only
            # nodes that already said ready keeps the probe away from a starting asd.
            if info and info.get('ready') and flocked(os.path.join(cluster_dir, 'nodes', node_id + '.lock')):
                self.members[node_id] = info
        if migration_seconds is None:
            migration_seconds = setting('ASD_SIM_MIGRATION_SECONDS')
        # The fleet's cluster-wide settings: one file every host binds, which the controller can change.
        self.config = _load_json(os.path.join(cluster_dir, 'config.json'), {}) or {}
        if migration_seconds is None:
            migration_seconds = self.config.get('migration_seconds')
        self.migration_seconds = float(DEFAULT_MIGRATION_SECONDS if migration_seconds is None else migration_seconds)
        self.state = {}

    def signature(self):
        # A restart within one poll interval is still a leave and a join: pids tell them apart.
        return sorted([node_id, info.get('pid'), info.get('started_at')] for node_id, info in self.members.items())

    def quiesce_path(self, node_id, kind='quiesce'):
        return os.path.join(self.dir, kind, node_id + '.json')

    def node_record(self, node_id, kind):
        """What asinfo set on this asd (quiesce/, dynamic/): {} unless it belongs to the running process,
        since both live in asd's memory and a restart forgets them."""
        info = self.members.get(node_id)
        record = _load_json(self.quiesce_path(node_id, kind)) or {}
        if not info or record.get('pid') != info.get('pid') or record.get('started_at') != info.get('started_at'):
            return {}
        return record

    def save_node_record(self, node_id, kind, record):
        info = self.members[node_id]
        path = self.quiesce_path(node_id, kind)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        record = dict(record, pid=info.get('pid'), started_at=info.get('started_at'))
        _save_json(path, record)

    def pending_quiesce(self, node_id):
        return bool(self.node_record(node_id, 'quiesce').get('pending'))

    def set_quiesce(self, node_id, pending):
        self.save_node_record(node_id, 'quiesce', {'pending': pending})

    def configured(self, node_id, ns):
        """A member's settings of namespace ns: aerospike.conf's (node json), then set-config's (dynamic/)."""
        config = dict(NAMESPACE_DEFAULTS)
        config.update((self.members[node_id].get('namespace_config') or {}).get(ns) or {})
        config.update((self.node_record(node_id, 'dynamic').get('namespaces') or {}).get(ns) or {})
        return config

    def set_dynamic(self, node_id, ns, name, value):
        record = self.node_record(node_id, 'dynamic')
        record.setdefault('namespaces', {}).setdefault(ns, {})[name] = value
        self.save_node_record(node_id, 'dynamic', record)

    def ns_members(self, ns):
        return sorted(node_id for node_id, info in self.members.items() if ns in namespace_names(info))

    def layout(self):
        """Placement's inputs now, per namespace: each member's rack-id, the lowest RF, quiesced nodes, SC."""
        out = {}
        quiesced = set(self.state.get('effective_quiesced', []))
        for node_id in sorted(self.members):
            for ns in namespace_names(self.members[node_id]):
                config = self.configured(node_id, ns)
                entry = out.setdefault(ns, {'racks': {}, 'rf': config['replication-factor'], 'quiesced': [],
                                            'sc': bool(config['strong-consistency'])})
                entry['racks'][node_id] = int(config['rack-id'])
                entry['rf'] = min(entry['rf'], int(config['replication-factor']))
                if node_id in quiesced:
                    entry['quiesced'].append(node_id)
        return out

    def rebalance(self, migrate=True):
        """A new clustering round: new key; quiesce flags, rack-ids and a pending roster take effect;
        migrations start when placement changed."""
        effective = sorted(node_id for node_id in self.members if self.pending_quiesce(node_id))
        moved = migrate or effective != self.state.get('effective_quiesced', [])
        self.state['key'] = _new_key(self.state.get('key'))
        self.state['generation'] = self.state.get('generation', 0) + 1
        self.state['effective_quiesced'] = effective
        self.state['roster'] = dict(self.state.get('roster') or {}, **(self.state.get('pending_roster') or {}))
        layouts = self.state.get('layouts') or []
        layout = self.layout()
        if not layouts or layouts[-1]['namespaces'] != layout:
            moved = True
            layouts.append({'at': self.now, 'namespaces': layout})
        if moved:
            self.state['changed_at'] = self.now
        # Placements older than the newest settled one can no longer matter.
        settled = [at for at, item in enumerate(layouts) if self.now - item['at'] >= self.migration_seconds]
        self.state['layouts'] = layouts[settled[-1] if settled else 0:][-MAX_LAYOUTS:]

    def sync(self, action=None):
        """Bring state.json up to date with membership; run action(self) under the same lock."""
        with open(os.path.join(self.dir, 'state.lock'), 'a') as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            self.state = _load_json(os.path.join(self.dir, 'state.json'), {}) or {}
            before = json.dumps(self.state, sort_keys=True)
            signature = self.signature()
            if self.state.get('signature') != signature:
                self.state['signature'] = signature
                self.rebalance(migrate=True)
            result = action(self) if action else None
            if json.dumps(self.state, sort_keys=True) != before:
                _save_json(os.path.join(self.dir, 'state.json'), self.state)
            return result

    # -- derived figures -------------------------------------------------------------------------

    @property
    def key(self):
        return self.state.get('key', '0') if self.members else '0'

    def principal(self):
        if not self.members:
            return None
        return max(self.members, key=lambda node_id: int(node_hex(node_id, self.members[node_id]), 16))

    def migrating_fraction(self):
        """Share of the migration backlog still to go, 0 when migrations are done."""
        if self.migration_seconds <= 0 or not self.members:
            return 0.0
        elapsed = self.now - self.state.get('changed_at', 0)
        if elapsed >= self.migration_seconds:
            return 0.0
        return 1.0 - elapsed / self.migration_seconds

    def remaining(self, node_id):
        """(tx, rx) partitions this node still has to migrate, per namespace."""
        fraction = self.migrating_fraction()
        if not fraction:
            return 0, 0
        share = PARTITIONS / max(len(self.members), 1)
        return max(1, int(math.ceil(share * fraction / 2))), max(1, int(math.ceil(share * fraction / 2)))

    def nodes_quiesced(self):
        return len([node_id for node_id in self.state.get('effective_quiesced', []) if node_id in self.members])

    def rebalance_racks(self, ns):
        """{member: rack-id} of the namespace's live members, as of the last rebalance (racks.md 1.1)."""
        layouts = self.state.get('layouts') or [{'namespaces': {}}]
        racks = layouts[-1]['namespaces'].get(ns, {}).get('racks', {})
        return dict((node_id, racks.get(node_id, self.configured(node_id, ns)['rack-id']))
                    for node_id in self.ns_members(ns))

    def settled(self):
        """The placement inputs of the last rebalance whose migrations are done (else the oldest known)."""
        layouts = self.state.get('layouts') or []
        done = [item for item in layouts if self.now - item['at'] >= self.migration_seconds]
        return done[-1] if done else (layouts[0] if layouts else None)

    def copies(self):
        """{ns: {'min_copies', 'zero', 'replication_factor'}}: live copies of each partition under the settled
        placement (a node back from a restart still holds its data)."""
        settled = self.settled()
        out = {}
        for ns, entry in sorted(((settled or {}).get('namespaces') or {}).items()):
            counts = [len([node for node in replicas if node in self.members])
                      for replicas in placement(ns, entry['racks'], entry['rf'], entry['quiesced'])]
            out[ns] = {'min_copies': min(counts), 'zero': counts.count(0), 'replication_factor': entry['rf']}
        return out

    def unavailable(self, ns):
        """SC unavailable_partitions: partitions without a live copy, or ASD_SIM_SC_UNAVAILABLE while a node of
        the roster is away (else config.json "sc_unavailable"). Until a roster is set, an SC namespace has no
        partition available."""
        roster = [entry.split('@')[0] for entry in (self.state.get('roster') or {}).get(ns) or []]
        if not roster:
            return PARTITIONS
        forced = setting('ASD_SIM_SC_UNAVAILABLE', self.config.get('sc_unavailable'))
        live = set(node_hex(node_id, info) for node_id, info in self.members.items())
        if forced is not None and any(node not in live for node in roster):
            return int(forced)
        return self.copies().get(ns, {}).get('zero', 0)


_PLACEMENTS = {}


def placement(ns, racks, rf, quiesced=()):
    """The replicas of each of the 4096 partitions: a tuple of min(rf, nodes) node ids per partition.

    Deterministic and rack-aware, after the rules the docs give (racks.md section 2): nodes are
    ordered per partition by a hash (quiesced nodes last); copies go to distinct racks while racks
    remain (rf <= racks: every copy on another rack; fewer racks: every rack one copy, some two), and
    quiesced nodes take a copy only when the others cannot hold them all.
    """
    key = json.dumps([ns, racks, rf, sorted(quiesced)], sort_keys=True)
    if key not in _PLACEMENTS:
        nodes = sorted(racks)
        count = min(rf, len(nodes))
        quiesced = set(quiesced)
        out = []
        for partition in range(PARTITIONS):
            order = sorted(nodes, key=lambda node: (node in quiesced, hashlib.md5(
                ('%s/%s/%d' % (ns, node, partition)).encode('utf-8')).digest()))
            chosen, used = [], set()
            for node in order:
                if len(chosen) < count and node not in quiesced and racks[node] not in used:
                    chosen.append(node)
                    used.add(racks[node])
            chosen += [node for node in order if node not in chosen][:count - len(chosen)]
            out.append(tuple(chosen))
        if len(_PLACEMENTS) >= 32:
            _PLACEMENTS.clear()  # a watcher meets a few placements per rebalance: start afresh now and then
        _PLACEMENTS[key] = out
    return _PLACEMENTS[key]


def sample(cluster_dir, migration_seconds=None):
    """One look at the cluster from outside, as a watcher takes it: (live members, copies()).

    It brings state.json up to date first (a membership change is a rebalance even when no asinfo
    asks), as the real cluster rebalances by itself.
    """
    cluster = Cluster(cluster_dir, migration_seconds)
    if cluster.members:
        cluster.sync()
    else:
        cluster.state = _load_json(os.path.join(cluster_dir, 'state.json'), {}) or {}
    return sorted(cluster.members), cluster.copies()


# ----------------------------------------------------------------------------------------------
# the server side: one reply string per request (an empty string is "no reply")

def _params(text):
    """as_info_parameter_get: first value of each key in `k=v;k=v`; keys without '=' are skipped."""
    params = {}
    for piece in text.split(';'):
        if '=' in piece:
            name, value = piece.split('=', 1)
            params.setdefault(name, value)
    return params


def _asd_log(info, context, message):
    """A line in the local asd's log: ASD_SIM_LOG when set, else the sinks asd reports in its node json
    (files; 'console' under systemd goes to the journal, as a line of asd's unit)."""
    stamp = time.strftime('%b %d %Y %H:%M:%S GMT', time.gmtime())
    where = {'info': 'thr_info.c:1018', 'clustering': 'clustering.c:5430'}[context]
    line = '%s: INFO (%s): (%s) %s' % (stamp, context, where, message)
    sinks = setting('ASD_SIM_LOG') or info.get('log') or []
    for sink in [sinks] if isinstance(sinks, str) else sinks:
        if sink != 'console':
            _append_line(sink, line)
        elif info.get('unit'):
            journal_send(line, info['unit'])


def _append_line(path, line):
    try:
        with open(path, 'a') as handle:
            handle.write(line + '\n')
    except (IOError, OSError):
        pass


def journal_send(message, unit, path=JOURNAL_SOCKET):
    """One journal entry that ``journalctl -u UNIT`` shows: root may name the unit in OBJECT_SYSTEMD_UNIT
    (journald's native protocol; asd's own stdout is a socket that no other process can open)."""
    fields = 'MESSAGE=%s\nSYSLOG_IDENTIFIER=asd\nOBJECT_SYSTEMD_UNIT=%s\n' % (message.replace('\n', ' '), unit)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.sendto(fields.encode('utf-8'), path)
    except (IOError, OSError):
        pass  # no journal here
    finally:
        sock.close()


class Server(object):
    """The info layer of the local node."""

    def __init__(self, cluster, node_id):
        self.cluster = cluster
        self.node_id = node_id
        self.info = cluster.members[node_id]
        self.build = str(self.info.get('build') or DEFAULT_BUILD)
        self.band = band(self.build)
        self.version = version_tuple(self.build)
        self.enterprise = str(self.info.get('edition', 'enterprise')).lower().startswith('e')
        self.namespaces = namespace_names(self.info)

    # -- dispatch --------------------------------------------------------------------------------

    def request(self, text):
        name, colon, params = text.partition(':')
        if name.startswith('namespace/') and not colon:
            return self.namespace(name[len('namespace/'):])
        known_command = name in COMMANDS and (name != 'latencies' or self.version >= (5, 1))
        if self.band == 'old':
            # One table for values, one for commands: a command needs its colon, a value must be bare.
            if known_command and colon:
                return getattr(self, 'cmd_' + name.replace('-', '_'))(params)
            if name in VALUES and not colon:
                return getattr(self, 'val_' + name.replace('-', '_'))()
            return ''
        if known_command:
            return getattr(self, 'cmd_' + name.replace('-', '_'))(params)
        if name in VALUES:
            return getattr(self, 'val_' + name.replace('-', '_'))()
        return 'ERROR:4:unrecognized command'

    def err(self, old, new, code=None):
        """The same failure in the wording of this node's version band."""
        if self.band == 'new':
            return 'ERROR:%s:%s' % ('' if code in (None, 1) else code, new)
        return 'ERROR::%s' % old

    def enterprise_only(self):
        if self.band == 'old':
            return 'ERROR::enterprise-only'
        if self.band == '7.1':
            return 'ERROR:25:enterprise-only'
        return 'ERROR:25:enterprise only'

    # -- values ----------------------------------------------------------------------------------

    def val_status(self):
        return 'ok'

    def val_build(self):
        return self.build

    def val_version(self):
        return 'Aerospike %s Edition build %s' % ('Enterprise' if self.enterprise else 'Community', self.build)

    def val_edition(self):
        return 'Aerospike %s Edition' % ('Enterprise' if self.enterprise else 'Community')

    def val_node(self):
        return node_hex(self.node_id, self.info)

    def val_namespaces(self):
        return ';'.join(self.namespaces)

    def val_cluster_name(self):
        return 'null'

    def val_rack_ids(self):
        """`ns:rack;...` with each namespace's configured rack-id: the shape asadm expects (racks.md 1.3;
        the server's own format is unconfirmed)."""
        if not self.enterprise:
            return self.enterprise_only()
        return ';'.join('%s:%d' % (ns, self.cluster.configured(self.node_id, ns)['rack-id']) for ns in self.namespaces)

    def _others(self):
        return [node_id for node_id in sorted(self.cluster.members) if node_id != self.node_id]

    def val_services(self):
        # Every simulated host is on loopback; one entry per other live node.
        return ';'.join('127.0.0.1:3000' for _node in self._others())

    def val_peers_clear_std(self):
        peers = ','.join('[%s,,[127.0.0.1]]' % node_hex(node, self.cluster.members[node]) for node in self._others())
        return '%d,3000,[%s]' % (self.cluster.state.get('generation', 0), peers)

    def val_statistics(self):
        cluster = self.cluster
        tx, rx = cluster.remaining(self.node_id)
        principal = cluster.principal()
        principal_hex = node_hex(principal, cluster.members[principal]) if principal else '0'
        uptime = max(0, int(cluster.now - float(self.info.get('started_at') or cluster.now)))
        fields = [
            ('cluster_size', len(cluster.members)),
            ('cluster_key', cluster.key),
            ('cluster_generation', cluster.state.get('generation', 0)),
            ('cluster_principal', principal_hex),
            ('cluster_min_compatibility_id', 10),
            ('cluster_max_compatibility_id', 10),
            ('cluster_integrity', 'true'),
            ('cluster_is_member', 'true'),
            ('cluster_duplicate_nodes', 'null'),
            ('cluster_clock_skew_stop_writes_sec', 0),
            ('cluster_clock_skew_ms', 0),
            ('cluster_clock_skew_outliers', 'null'),
            ('uptime', uptime),
            ('system_free_mem_pct', 90),
            ('process_cpu_pct', 1),
            ('objects', 0),
            ('tombstones', 0),
            ('info_queue', 0),
            ('rw_in_progress', 0),
            ('proxy_in_progress', 0),
            ('tree_gc_queue', 0),
            ('client_connections', 2),
            ('heartbeat_connections', max(0, len(cluster.members) - 1)),
            ('migrate_allowed', 'true'),
            ('migrate_partitions_remaining', (tx + rx) * len(self.namespaces)),
            ('fabric_connections', 8 * max(0, len(cluster.members) - 1)),
            ('paxos_principal', principal_hex),
        ]
        return ';'.join('%s=%s' % pair for pair in fields)

    def effective_rf(self, ns):
        """min(active nodes, lowest replication-factor of any member) (racks.md 1.3); quiesced are not active."""
        cluster = self.cluster
        members = cluster.ns_members(ns)
        quiesced = set(cluster.state.get('effective_quiesced', []))
        lowest = min(int(cluster.configured(node_id, ns)['replication-factor']) for node_id in members)
        return max(1, min(lowest, len([node_id for node_id in members if node_id not in quiesced])))

    def sc(self, ns):
        return self.enterprise and bool(self.cluster.configured(self.node_id, ns)['strong-consistency'])

    def ns_config(self, ns):
        """The configuration part of namespace/<ns> and get-config's namespace context."""
        config = self.cluster.configured(self.node_id, ns)
        return [
            ('replication-factor', config['replication-factor']),
            ('rack-id', config['rack-id']),
            ('strong-consistency', 'true' if config['strong-consistency'] else 'false'),
            ('index-type', 'shmem' if self.enterprise else 'mem'),
            ('sindex-type', 'shmem' if self.enterprise else 'mem'),
            ('storage-engine', 'memory'),
            ('stay-quiesced', 'true' if self.info.get('stay_quiesced') else 'false'),
        ]

    def namespace(self, ns):
        if ns not in self.namespaces:
            return 'type=unknown'
        cluster = self.cluster
        tx, rx = cluster.remaining(self.node_id)
        quiesced = self.node_id in cluster.state.get('effective_quiesced', [])
        nodes_quiesced = cluster.nodes_quiesced()
        unavailable = cluster.unavailable(ns) if self.sc(ns) else 0
        stats = [
            ('objects', 0), ('tombstones', 0), ('master_objects', 0), ('prole_objects', 0),
            ('ns_cluster_size', len(cluster.ns_members(ns))),
            ('effective_replication_factor', self.effective_rf(ns)),
            ('effective_is_quiesced', 'true' if quiesced else 'false'),
            ('nodes_quiesced', nodes_quiesced),
            ('pending_quiesce', 'true' if cluster.pending_quiesce(self.node_id) else 'false'),
            ('migrate_tx_partitions_initial', tx), ('migrate_tx_partitions_remaining', tx),
            ('migrate_rx_partitions_initial', rx), ('migrate_rx_partitions_remaining', rx),
            ('migrate_signals_active', 0), ('migrate_signals_remaining', 0),
            ('unavailable_partitions', unavailable), ('dead_partitions', 0),
            ('stop_writes', 'false'), ('clock_skew_stop_writes', 'false'),
        ]
        return ';'.join('%s=%s' % pair for pair in stats + self.ns_config(ns))

    # -- commands --------------------------------------------------------------------------------

    def cmd_cluster_stable(self, text):
        cluster = self.cluster
        params = _params(text)
        new = self.band == 'new'
        if 'size' in params:
            value = params['size']
            if len(value) >= 4:
                return self.err('bad-size', "'size' value too long", 4)
            if value == '' and new:
                return 'ERROR:4:missing \'size\' value'
            if value == '':
                target = 0
            elif value.isdigit():
                target = int(value)
            else:
                return self.err('bad-size', 'bad size', 4)
            if target != len(cluster.members):
                return self.err('cluster-not-specified-size', 'cluster not specified size', 7)
        ignore = False
        if 'ignore-migrations' in params:
            value = params['ignore-migrations']
            if len(value) >= 6:
                return self.err('bad-ignore-migrations', "'ignore-migrations' value too long", 4)
            if value == '' and new:
                return "ERROR:4:missing 'ignore-migrations' value"
            accepted = {'true': True, 'false': False} if new else {'true': True, 'yes': True, 'false': False, 'no': False}
            if value not in accepted:
                return self.err('bad-ignore-migrations', 'bad ignore migrations', 4)
            ignore = accepted[value]
        if not ignore:
            ns, refused = self.ns_param(params)
            if refused:
                return refused
            blocked = [name for name in ([ns] if ns else self.namespaces) if self.sc(name) and cluster.unavailable(name)]
            if any(cluster.remaining(self.node_id)) or blocked:
                return self.err('unstable-cluster', 'unstable cluster', 7)
        return cluster.key

    def ns_param(self, params, key='namespace'):
        """(namespace or None, None) or (None, the error reply that asd gives) for a namespace parameter."""
        if key not in params:
            return None, None
        value = params[key]
        if len(value) >= 32:
            return None, self.err('bad-namespace', "'%s' value too long" % key, 20)
        if value == '':
            return None, self.err('unknown-namespace', "missing '%s' value" % key, 20)
        if value not in self.namespaces:
            return None, self.err('unknown-namespace', 'namespace not found on node', 20)
        return value, None

    def _quiesce_guard(self):
        if not self.enterprise:
            return self.enterprise_only()
        return None

    def cmd_quiesce(self, _text):
        refused = self._quiesce_guard()
        if refused:
            return refused
        if self.info.get('stay_quiesced') and self.version >= (5, 2):
            return self.err('permanently-quiesced', 'permanently quiesced', 22)
        self.cluster.set_quiesce(self.node_id, True)
        _asd_log(self.info, 'info', 'quiesced this node')
        return 'ok'

    def cmd_quiesce_undo(self, _text):
        refused = self._quiesce_guard()
        if refused:
            return refused
        if self.info.get('stay_quiesced') and self.version >= (5, 2):
            return 'ignored-permanently-quiesced'
        self.cluster.set_quiesce(self.node_id, False)
        _asd_log(self.info, 'info', 'un-quiesced this node')
        return 'ok'

    def cmd_recluster(self, _text):
        cluster = self.cluster
        if cluster.principal() != self.node_id:
            return 'ignored-by-non-principal'
        cluster.rebalance(migrate=False)
        _asd_log(self.info, 'clustering', 'recluster: triggered - principal %s' % node_hex(self.node_id, self.info))
        return 'ok'

    # -- racks and roster (racks.md 1.1, 1.2) ----------------------------------------------------

    def _per_namespace(self, text, row):
        """`ns=<ns>:<row>` joined by ';' for every namespace, or the row alone for namespace=<ns>."""
        if not self.enterprise:
            return self.enterprise_only()
        ns, refused = self.ns_param(_params(text))
        if refused:
            return refused
        if ns:
            return row(ns)
        return ';'.join('ns=%s:%s' % (name, row(name)) for name in self.namespaces)

    def _hex(self, node_id):
        return node_hex(node_id, self.cluster.members.get(node_id))

    def _rack_row(self, ns):
        groups = {}
        for node_id, rack in self.cluster.rebalance_racks(ns).items():
            groups.setdefault(rack, []).append(self._hex(node_id))
        fields = ['rack_%d=%s' % (rack, ','.join(sorted(nodes))) for rack, nodes in sorted(groups.items())]
        roster = {}
        for entry in ((self.cluster.state.get('roster') or {}).get(ns) or []) if self.sc(ns) else []:
            node, _at, rack = entry.partition('@')
            roster.setdefault(int(rack or 0), []).append(node)
        fields += ['roster_rack_%d=%s' % (rack, ','.join(sorted(nodes))) for rack, nodes in sorted(roster.items())]
        return ':'.join(fields)

    def cmd_racks(self, text):
        return self._per_namespace(text, self._rack_row)

    def _roster_row(self, ns):
        state = self.cluster.state
        roster = ','.join((state.get('roster') or {}).get(ns) or []) if self.sc(ns) else ''
        pending = ','.join((state.get('pending_roster') or {}).get(ns) or []) if self.sc(ns) else ''
        racks = self.cluster.rebalance_racks(ns)
        observed = sorted(((self._hex(node_id), rack) for node_id, rack in racks.items()),
                          key=lambda pair: int(pair[0], 16), reverse=True)
        return 'roster=%s:pending_roster=%s:observed_nodes=%s' % (
            roster or 'null', pending or 'null', ','.join(_roster_entry(node, rack) for node, rack in observed) or 'null')

    def cmd_roster(self, text):
        return self._per_namespace(text, self._roster_row)

    def cmd_roster_set(self, text):
        """Sets the pending roster (cluster-wide, as the real one goes through system metadata); the next
        rebalance makes it the roster. The errors past the namespace's are not in the reference."""
        if not self.enterprise:
            return self.enterprise_only()
        params = _params(text)
        ns, refused = self.ns_param(params)
        if refused or not ns:
            return refused or self.err('unknown-namespace', "missing 'namespace' value", 20)
        if not self.sc(ns):
            return self.err('not-strong-consistency', 'namespace is not strong-consistency', 4)
        entries = [entry.strip().upper() for entry in params.get('nodes', '').split(',') if entry.strip()]
        if 'nodes' not in params or not all(re.match(r'^[0-9A-F]{1,16}(@\d{1,7})?$', entry) for entry in entries):
            return self.err('bad-nodes', 'bad nodes', 4)
        entries = [_roster_entry(*entry.partition('@')[::2]) for entry in entries]
        self.cluster.state.setdefault('pending_roster', {})[ns] = sorted(
            entries, key=lambda entry: int(entry.split('@')[0], 16), reverse=True)
        return 'ok'

    # -- configuration ---------------------------------------------------------------------------

    def config_refused(self):
        """A set-config this model does not take (5.0-7.0: bare `error`; the later wording is assumed)."""
        return 'error' if self.band == 'old' else self.err('bad-parameter', 'invalid parameter', 4)

    def cmd_get_config(self, text):
        params = _params(text)
        context = params.get('context', 'service')
        if context == 'service':
            pairs = [('proto-fd-max', 15000), ('migrate-fill-delay', self.cluster.state.get('migrate_fill_delay', 0)),
                     ('migrate-threads', 1), ('stay-quiesced', 'true' if self.info.get('stay_quiesced') else 'false')]
        elif context == 'namespace':
            ns, refused = self.ns_param(params, 'id')
            if refused or not ns:
                return refused or self.err('unknown-namespace', "missing 'id' value", 20)
            pairs = self.ns_config(ns)
        else:
            return self.err('bad-context', 'invalid context', 4)
        return ';'.join('%s=%s' % pair for pair in pairs)

    def cmd_set_config(self, text):
        """migrate-fill-delay (service; remembered cluster-wide) and a namespace's rack-id (this asd only,
        until it restarts; racks: shows it from the next rebalance). Both are enterprise-only."""
        params = _params(text)
        context = params.get('context')
        name = 'migrate-fill-delay' if context == 'service' else 'rack-id'
        if context not in ('service', 'namespace') or name not in params:
            return self.config_refused()
        ns, refused = self.ns_param(params, 'id') if context == 'namespace' else ('', None)
        if refused or ns is None:
            return refused or self.config_refused()
        if not self.enterprise:
            return self.enterprise_only()
        value = params[name]
        if not value.isdigit() or (name == 'rack-id' and int(value) > MAX_RACK_ID):
            return self.config_refused()
        if context == 'service':
            self.cluster.state['migrate_fill_delay'] = int(value)
        else:
            self.cluster.set_dynamic(self.node_id, ns, name, int(value))
        return 'ok'

    def cmd_latencies(self, _text):
        hists = ['batch-index:']
        for ns in self.namespaces:
            hists += ['{%s}-%s:' % (ns, hist) for hist in LATENCY_HISTS]
        return ';'.join(hists)


def _roster_entry(node, rack):
    """NODE@RACK of a roster list, with no @ for rack 0 (racks.md 1.2)."""
    return '%s@%d' % (node, int(rack)) if rack and int(rack) else node


# ----------------------------------------------------------------------------------------------
# the asinfo CLI: its output shaping and exit codes (sim/README.md)

def shape(value, lines=False):
    """What asinfo prints for a non-empty reply, and its exit code."""
    text = value.strip().strip(';').strip()
    if lines:
        separator = next((sep for sep in (';', ':', ',') if sep in text), ';')
        out = '\n'.join(text.split(separator))
    else:
        out = text
    return out, (1 if 'error:' in text.lower() else 0)


def ask(cluster_dir, node_id, request):
    """The raw reply of node_id to one request, or None when that asd is down or loading."""
    cluster = Cluster(cluster_dir)
    if node_id not in cluster.members:
        return None

    def act(cluster):
        return Server(cluster, node_id).request(request)
    return cluster.sync(act)


def _parser():
    parser = argparse.ArgumentParser(prog='asinfo', add_help=False,
                                     description='Simulated asinfo of a sim/fleet.py host.')
    parser.add_argument('-h', '--host', default='localhost')
    parser.add_argument('-p', '--port', type=int, default=None)
    parser.add_argument('-v', '--value', default=None)
    parser.add_argument('-l', '--lines', action='store_true')
    parser.add_argument('-U', '--user')
    parser.add_argument('-P', '--password', nargs='?', const='')
    parser.add_argument('--auth', default='INTERNAL')
    parser.add_argument('--tls-enable', '--tls_enable', action='store_true')
    for option in ('name', 'cafile', 'capath', 'certfile', 'keyfile', 'keyfile-password', 'protocols',
                   'cipher-suite'):
        parser.add_argument('--tls-' + option, '--tls_' + option.replace('-', '_'))
    parser.add_argument('-t', dest='tls_name_short')
    parser.add_argument('--tls-crl-check', '--tls_crl_check', action='store_true')
    parser.add_argument('--tls-crl-check-all', '--tls_crl_check_all', action='store_true')
    parser.add_argument('--timeout', type=float, default=5)
    parser.add_argument('-V', '--version', action='store_true')
    parser.add_argument('-E', '--help', action='store_true')
    parser.add_argument('--no-config-file', action='store_true')
    parser.add_argument('--config-file')
    parser.add_argument('--only-config-file')
    parser.add_argument('--instance')
    return parser


def _seed(host, port):
    """asadm's seed tuple for the connection error: (host, port, tls name)."""
    first = host.split(',')[0]
    pieces = first.split(':')
    name = pieces[0] or 'localhost'
    tls_name = None
    seed_port = 3000
    if len(pieces) == 2 and pieces[1].isdigit():
        seed_port = int(pieces[1])
    elif len(pieces) >= 2:
        tls_name = pieces[1] or None
        if len(pieces) >= 3 and pieces[2].isdigit():
            seed_port = int(pieces[2])
    if port is not None:
        seed_port = port
    return name, seed_port, tls_name


def main(argv=None, out=None):
    out = out or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if args.help:
        parser.print_help(out)
        return 0
    if args.version:
        out.write('asinfo (sim/asinfo.py, simulated)\n')
        return 0
    cluster_dir = setting('ASD_SIM_CLUSTER_DIR')
    node_id = setting('ASD_SIM_NODE_ID')
    if not cluster_dir or not node_id:
        sys.stderr.write('asinfo (simulated): ASD_SIM_CLUSTER_DIR and ASD_SIM_NODE_ID are not set, neither in the '
                         'environment nor in %s; run asinfo on a sim/fleet.py host, which sets them\n'
                         % (os.environ.get('ASD_SIM_SYSCONFIG') or SYSCONFIG))
        return 1
    name, port, tls_name = _seed(args.host, args.port)
    # The hosts share one address, so a node is reached by its name, as `asinfo -h <node>` reaches
    # any node of a real cluster: the name of a node of this cluster folder means that node.
    if name != node_id and os.path.exists(os.path.join(cluster_dir, 'nodes', name + '.json')):
        node_id = name
    requests = [args.value] if args.value is not None else ['node', 'statistics', 'features', 'cluster-name',
                                                            'edition', 'version', 'build', 'services']
    replies = []
    for request in requests:
        sent = 'statistics' if request == 'stats' else request
        reply = ask(cluster_dir, node_id, sent)
        if reply is None:
            out.write("ERROR: Not able to connect any cluster with ('%s', %d, %s).\n"
                      % (name, port, repr(tls_name) if tls_name else 'None'))
            return 1
        replies.append((request, reply))
    if args.value is not None:
        request, reply = replies[0]
        if reply == '':
            out.write("Error: Invalid command '%s'\n" % request)
            return 1
        text, rc = shape(reply, args.lines)
        out.write(text + '\n')
        return rc
    for number, (request, reply) in enumerate(replies, 1):
        if reply == '' or reply.startswith('ERROR'):
            continue
        text, _rc = shape(reply, args.lines)
        out.write('%d :  %s\n     %s\n' % (number, request, text))
    return 0


if __name__ == '__main__':
    sys.exit(main())
